"""Printed documents (公文): one HTML print view and one PDF from the same template.

The print view links `css/document.css` (the CSP allows no inline style); WeasyPrint is given the same file,
so the page and the PDF are one layout (GB/T 9704: A4, 版心 margins 37/35/28/26 mm, page numbers "— 1 —").
Chinese needs a CJK font on the machine (fonts-wqy-microhei at least; see toolchain.md).
"""

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header

STYLESHEET = "css/document.css"


def document_page(request, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    return render(request, template, {**context, "pdf": False}, status=status)


def document_pdf(request, template: str, context: dict, *, filename: str) -> HttpResponse:
    from weasyprint import CSS, HTML  # heavy import, only where a PDF is made

    html = render_to_string(template, {**context, "pdf": True}, request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(
        stylesheets=[CSS(filename=finders.find(STYLESHEET))]
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response

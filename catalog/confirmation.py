"""A real confirmation step for irreversible actions that works without JavaScript: the first POST renders a
page that says what will happen and repeats the submitted fields; only a POST carrying `confirm=yes` acts."""

from django.shortcuts import render

CONFIRM_FIELD = "confirm"


def confirmed(request) -> bool:
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "yes"


def confirm_step(
    request, *, title: str, question: str, facts=(), cancel_url: str, button: str, fields=None, extra=None
):
    """The page that asks first. `facts` are lines saying exactly what the step will do; `fields` (default: the
    POST as sent) are carried over as hidden inputs; `extra` is an optional bound form shown for more input."""
    hidden = (
        fields
        if fields is not None
        else [
            (name, value)
            for name in request.POST
            if name not in ("csrfmiddlewaretoken", CONFIRM_FIELD)
            for value in request.POST.getlist(name)
        ]
    )
    if extra is not None:
        hidden = [(name, value) for name, value in hidden if name not in extra.fields]
    response = render(
        request,
        "includes/confirm_step.html",
        {
            "title": title,
            "question": question,
            "facts": list(facts),
            "hidden": hidden,
            "cancel_url": cancel_url,
            "button": button,
            "extra": extra,
            "action_url": request.get_full_path(),
        },
    )
    # With JavaScript the same page opens in a dialog over the form (catalog.partials, static/js/app.js).
    response.asks_first = True
    return response

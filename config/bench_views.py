"""The floors the benchmarks measure against (bench/run): the cheapest Django and DRF responses possible on this
stack. Mounted only when DJANGO_BENCH_FLOORS is set."""

from django.http import JsonResponse
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


def floor_view(request):
    return JsonResponse({"ok": True})


class FloorDRF(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        return Response({"ok": True})

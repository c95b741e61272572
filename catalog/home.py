"""Sections that later apps add to a user's home page, without the catalogue importing them.

An app registers a function in its AppConfig.ready(); it gets the user and returns a section
{"title": str, "links": [{"label": str, "url": str, "count": int | None}]} or None.
"""

from collections.abc import Callable

_sections: list[Callable] = []


def register_home_section(section: Callable) -> None:
    _sections.append(section)


def sections_for(user) -> list[dict]:
    return [section for build in _sections if (section := build(user))]

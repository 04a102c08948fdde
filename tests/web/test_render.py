"""The templates' environment: `data.name` on a plain dict answers as Jinja's own environment."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader, Environment, StrictUndefined, UndefinedError

from leviers.web.render import PageEnvironment

TEMPLATES = {
    "key": "{{ d.nom }}",
    "method": "{{ d.items()|list|length }}",  # a dict method, even when a key has its name
    "missing": "{{ d.absent }}",
    "nested": "{{ d.a.b }}",
    "object": "{{ o.real }}",  # not a dict: attributes as Jinja reads them
}


@pytest.mark.parametrize("name", ["key", "method", "nested", "object"])
def test_same_answers_as_jinja(name: str) -> None:
    context = {"d": {"nom": "Lyon", "items": "clé", "a": {"b": 3}}, "o": 2.5}
    ours = PageEnvironment(loader=DictLoader(TEMPLATES), undefined=StrictUndefined, autoescape=True)
    jinja = Environment(loader=DictLoader(TEMPLATES), undefined=StrictUndefined, autoescape=True)
    assert ours.get_template(name).render(context) == jinja.get_template(name).render(context)


def test_missing_key_is_undefined() -> None:
    env = PageEnvironment(loader=DictLoader(TEMPLATES), undefined=StrictUndefined)
    with pytest.raises(UndefinedError):
        env.get_template("missing").render({"d": {}})

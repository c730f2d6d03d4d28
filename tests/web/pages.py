"""Reading the pages in tests: a small HTML tree (standard library only) and form posts with the CSRF token
of the page they come from, as a browser would send them."""
from dataclasses import dataclass, field
from html.parser import HTMLParser

from tests.conftest import csrf_token

BLOCK = {"address", "article", "br", "caption", "dd", "div", "dl", "dt", "footer", "form", "h1", "h2", "h3", "h4",
         "header", "hr", "li", "main", "nav", "ol", "option", "optgroup", "p", "section", "table", "tbody", "td",
         "th", "thead", "tr", "ul", "label", "select", "input", "button"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict
    parts: list = field(default_factory=list)
    children: list = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())

    def find_all(self, tag=None, **attrs) -> list:
        return [el for el in _descendants(self)
                if (tag is None or el.tag == tag) and all(el.attrs.get(k) == v for k, v in attrs.items())]


class Page(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]
        self.by_id = {}
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        el = Element(tag, {k: ("" if v is None else v) for k, v in attrs})
        if tag in BLOCK:  # text of neighbouring cells and paragraphs does not run together
            self.handle_data(" ")
        self.stack[-1].children.append(el)
        if "id" in el.attrs:
            assert el.attrs["id"] not in self.by_id, f"duplicate id {el.attrs['id']}"
            self.by_id[el.attrs["id"]] = el
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in BLOCK:
            self.handle_data(" ")
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if self.stack[-1].tag in ("style", "script"):
            return
        for el in self.stack:
            el.parts.append(data)

    def find_all(self, tag=None, **attrs) -> list:
        return self.root.find_all(tag, **attrs)

    @property
    def text(self) -> str:
        return self.root.text

    def field_errors(self) -> dict:
        """{field id: message} for every field the page marks as wrong."""
        return {key[:-len("-error")]: el.text for key, el in self.by_id.items() if key.endswith("-error")}

    def error_of(self, name: str) -> str:
        """The message shown for field `name`: inside the field's own block, right after its input, and
        tied to the input by aria-describedby and aria-invalid so that a screen reader announces it."""
        block = self.by_id[f"{name}-field"]
        control = self.by_id[name]
        error = self.by_id[f"{name}-error"]
        assert control in _descendants(block) and error in _descendants(block)
        assert f"{name}-error" in control.attrs.get("aria-describedby", "").split()
        assert control.attrs.get("aria-invalid") == "true"
        return error.text

    def form_alert(self) -> str:
        alerts = [el.text for el in self.find_all(role="alert")]
        return " ".join(alerts)


def _descendants(el):
    for child in el.children:
        yield child
        yield from _descendants(child)


def page(resp) -> Page:
    assert resp.mimetype == "text/html", resp.mimetype
    return Page(resp.get_data(as_text=True))


def post_form(client, path, data, token=True, **kwargs):
    """POST `data` to `path` with the CSRF token of the page at `path`."""
    if token:
        data = {**data, "csrf_token": csrf_token(client.get(path).get_data(as_text=True))}
    return client.post(path, data=data, **kwargs)


def location(resp) -> str:
    assert resp.status_code in (301, 302, 303), resp.status_code
    return resp.headers["Location"]

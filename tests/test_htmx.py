"""What htmx asks for comes from request.htmx (htmx-flask); what it is told goes through its helpers."""
import ast
from pathlib import Path

import pytest

from clientbook.web import hx_redirect, htmx_response, render

PACKAGE = Path(__file__).resolve().parent.parent / "clientbook"


def _header_reads(tree: ast.AST) -> list[int]:
    """Lines that read an HX-* request header: headers.get("HX-…"), headers["HX-…"], environ["HTTP_HX_…"]."""
    lines = []
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "getlist"):
            owner = ast.unparse(node.func.value)
            if ("headers" in owner or "environ" in owner) and node.args and isinstance(node.args[0], ast.Constant):
                key = node.args[0].value
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            owner = ast.unparse(node.value)
            if ("headers" in owner or "environ" in owner) and isinstance(node.slice, ast.Constant):
                key = node.slice.value
        if isinstance(key, str) and key.upper().replace("_", "-").startswith(("HX-", "HTTP-HX-")):
            lines.append(node.lineno)
    return lines


def test_no_module_reads_an_htmx_header_by_hand():
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{line}"
                 for path in sorted(PACKAGE.rglob("*.py"))
                 for line in _header_reads(ast.parse(path.read_text(), str(path)))]
    assert offenders == [], "use request.htmx (htmx-flask) instead"


def test_the_check_catches_a_hand_read():
    source = 'a = request.headers.get("HX-Target")\nb = request.headers["HX-Request"]\nc = request.environ.get("HTTP_HX_BOOSTED")'
    assert _header_reads(ast.parse(source)) == [1, 2, 3]


@pytest.fixture
def page_app(app):

    @app.get("/test/partial")
    def partial():
        return render("error.html", "content", title="T", message="M")

    return app


HTMX = {"HX-Request": "true"}


@pytest.mark.parametrize("headers, partial", [
    ({}, False),
    (HTMX, True),
    ({**HTMX, "HX-Boosted": "true"}, False),  # a boosted link needs the whole page
    ({**HTMX, "HX-History-Restore-Request": "true"}, False),  # so does Back after a cache miss
    ({"HX-Request": "false"}, False),
])
def test_render_sends_a_partial_only_to_a_real_htmx_request(page_app, client, shop, headers, partial):
    response = client.get("/test/partial", headers=headers)
    body = response.get_data(as_text=True)
    assert ("<html" not in body) is partial
    assert "HX-Request" in response.headers["Vary"]


def test_hx_redirect(app):
    with app.test_request_context("/", headers=HTMX):
        response = hx_redirect("/clients/1")
        assert response.status_code == 204 and response.headers["HX-Redirect"] == "/clients/1"
    with app.test_request_context("/"):
        response = hx_redirect("/clients/1")
        assert response.status_code == 303 and response.headers["Location"] == "/clients/1"


@pytest.mark.parametrize("reswap", ["innerHTML", "outerHTML", "beforeend", "afterend", "delete", "none"])
def test_htmx_response_takes_every_swap_style(app, reswap):
    with app.test_request_context("/"):
        response = htmx_response("<p>hi</p>", 200, reswap=reswap, retarget="#main", trigger={"saved": "Note"},
                                 push_url="/clients")
    assert response.headers["HX-Reswap"] == reswap
    assert response.headers["HX-Retarget"] == "#main"
    assert response.headers["HX-Trigger"] == '{"saved": "Note"}'
    assert response.headers["HX-Push-Url"] == "/clients"


def test_htmx_response_refuses_an_unknown_swap_style(app):
    with app.test_request_context("/"), pytest.raises(ValueError):
        htmx_response("", reswap="sideways")

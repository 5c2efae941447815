"""Everything people write is rendered in one place and cannot carry a script into a page."""
import pytest

from knowledge.markdown import render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    "![x](javascript:alert(1))",
    '<svg onload="alert(1)"><circle r=1 /></svg>',
    '<iframe src="https://evil.example.org"></iframe>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "[x](  javascript:alert(1)  )",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_scripts_handlers_and_dangerous_urls_do_not_survive(source):
    html = render_markdown(source).lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html and "onload" not in html
    assert "<iframe" not in html and "<svg" not in html
    assert "style=" not in html
    assert "data:text/html" not in html


def test_ordinary_markdown_keeps_its_formatting():
    html = render_markdown("## Opening hours\n\n- **Mon** 9–17\n- [Book](https://example.org/book)")
    assert "<h2>Opening hours</h2>" in html
    assert "<strong>Mon</strong>" in html
    assert 'href="https://example.org/book"' in html

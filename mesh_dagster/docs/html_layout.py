"""The frame every catalog page shares: head, style, navigation and a strict CSP."""

from __future__ import annotations

import base64
import hashlib
from html import escape

SITE_TITLE = "Data product catalog"

STYLE = """
:root { --ink: #1f2430; --muted: #5b6475; --line: #d9dee7; --accent: #4f43dd;
  --soft: #f4f5fb; --bad: #b42318; --warn: #b54708; --ok: #067647; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #fff; }
header.top { display: flex; gap: 24px; align-items: center; padding: 12px 32px;
  background: var(--ink); }
header.top a { color: #fff; text-decoration: none; }
header.top .brand { font-weight: 700; margin-right: auto; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 48px; }
footer { color: var(--muted); font-size: 13px; text-align: center; padding: 24px; }
h1 { margin: 8px 0 4px; font-size: 28px; }
h2 { margin: 32px 0 12px; font-size: 20px; border-bottom: 1px solid var(--line);
  padding-bottom: 4px; }
h3 { margin: 0 0 4px; font-size: 16px; }
a { color: var(--accent); }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--soft);
  padding: 1px 4px; border-radius: 4px; }
pre { background: var(--soft); padding: 12px; overflow-x: auto; border-radius: 6px; }
pre code { padding: 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 20px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.crumbs { color: var(--muted); font-size: 13px; }
.badge { display: inline-block; font-size: 12px; padding: 1px 8px; border-radius: 10px;
  background: var(--soft); border: 1px solid var(--line); margin-right: 4px; }
.badge.pii { background: #fff1f0; border-color: #f5c2bd; color: var(--bad); }
.badge.error { color: var(--bad); }
.badge.warn { color: var(--warn); }
.badge.domain { background: #eef0ff; border-color: #c9cdfb; }
.dagster { display: inline-block; margin: 8px 0; padding: 6px 12px; border-radius: 6px;
  background: var(--accent); color: #fff; text-decoration: none; }
.search { width: 100%; font-size: 16px; padding: 10px 14px; border: 1px solid var(--line);
  border-radius: 8px; margin: 16px 0 4px; }
.count { color: var(--muted); font-size: 13px; }
.domains-nav a { margin-right: 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr));
  gap: 16px; }
.card { border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.card p { margin: 4px 0 8px; color: var(--muted); }
.card dl.facts { font-size: 13px; }
.graph { overflow-x: auto; margin-bottom: 16px; border: 1px solid var(--line); border-radius: 10px;
  padding: 8px; background: #fcfcfe; }
svg.lineage .edge { fill: none; stroke: #8a93a6; stroke-width: 1.5; }
svg.lineage .arrow { fill: #8a93a6; }
svg.lineage .node rect { fill: #fff; stroke: #9aa3b5; stroke-width: 1.2; }
svg.lineage .node.focus rect { fill: #eef0ff; stroke: var(--accent); stroke-width: 2; }
svg.lineage .node.source rect { stroke-dasharray: 4 3; fill: var(--soft); }
svg.lineage a:hover rect { stroke: var(--accent); }
svg.lineage text { font: 13px system-ui, sans-serif; fill: var(--ink); }
svg.lineage text.detail { font-size: 11px; fill: var(--muted); }
.description { max-width: 820px; }
"""

SEARCH_SCRIPT = """
(function () {
  var input = document.getElementById("search");
  var count = document.getElementById("count");
  var none = document.getElementById("no-match");
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.domain"));
  function filter() {
    var terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    cards.forEach(function (card) {
      var text = card.getAttribute("data-search");
      var match = terms.every(function (term) { return text.indexOf(term) !== -1; });
      card.hidden = !match;
      if (match) { shown += 1; }
    });
    sections.forEach(function (section) {
      section.hidden = !section.querySelector(".card:not([hidden])");
    });
    none.hidden = shown !== 0;
    count.textContent = shown + " of " + cards.length + " products";
  }
  input.addEventListener("input", filter);
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) { input.value = query; }
  filter();
})();
"""


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _policy(script: str | None) -> str:
    # Nothing may load from anywhere: no network, only this page's own style and script.
    scripts = _sha256(script) if script else "'none'"
    return f"default-src 'none'; style-src {_sha256(STYLE)}; script-src {scripts}"


def render_page(title: str, body: str, root: str, script: str | None = None) -> str:
    """Return a complete HTML page; ``root`` is the relative path to the site's top."""
    tail = f"<script>{script}</script>\n" if script else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_policy(script)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · {SITE_TITLE}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
        f'<header class="top"><a class="brand" href="{root}index.html">{SITE_TITLE}</a>'
        f'<a href="{root}index.html">Products</a>'
        f'<a href="{root}policy.html">Policy</a></header>\n'
        f"<main>\n{body}</main>\n"
        "<footer>Generated by <code>mesh docs</code> from the specs. "
        "Edit the specs, not these pages.</footer>\n"
        f"{tail}</body>\n</html>\n"
    )


def render_table(header: list[str], rows: list[list[str]], css: str = "") -> str:
    """Return an HTML table; ``header`` is plain text, ``rows`` are HTML already escaped."""
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    klass = f' class="{css}"' if css else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n"


def render_facts(facts: list[tuple[str, str]]) -> str:
    """Return a definition list of (plain label, HTML value) pairs."""
    items = "".join(f"<dt>{escape(label)}</dt><dd>{value}</dd>" for label, value in facts)
    return f'<dl class="facts">{items}</dl>\n'


def product_href(name: str, root: str) -> str:
    """Return the relative link to a product's page."""
    return f"{root}products/{escape(name)}.html"


def domain_anchor(domain: str) -> str:
    """Return the id of a domain's section on the index page."""
    return f"domain-{domain}"

"""HTML guide pages (a guide platform's page or a borger.dk-like article).

The page's structure carries the schema: `<h1>` the title, the meta description
(or first paragraph) the summary, the first `<ol>` the steps, the canonical link
the url, breadcrumbs or `article:section` the topic, and `<time datetime>` or a
modified meta tag the date. Navigation, headers, footers and scripts are dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from knowledge.guide import GuideError
from knowledge.importers.common import ImportProblem, ImportReport, TopicResolver, normalise

_CHROME = ("script", "style", "nav", "header", "footer", "noscript", "form", "aside")


def html_to_text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(_CHROME):
        tag.decompose()
    lines = [line.strip() for line in soup.get_text("\n").splitlines()]
    return "\n".join(line for line in lines if line)


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
        if tag and tag.get("content"):
            return str(tag["content"]).strip()
    return None


def parse_page(html: str) -> dict[str, Any]:
    soup = BeautifulSoup(html, "html.parser")
    data: dict[str, Any] = {}
    main = soup.find("main") or soup.find("article") or soup.body or soup
    h1 = main.find("h1") or soup.find("h1")
    if h1:
        data["title"] = h1.get_text(" ", strip=True)
    elif soup.title:
        data["title"] = soup.title.get_text(" ", strip=True).split("|")[0].strip()
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        data["url"] = canonical["href"]
    elif (og := _meta(soup, "og:url")):
        data["url"] = og
    if (topic := _meta(soup, "ddh:topic", "article:section", "category")):
        data["topic"] = topic
    else:
        crumbs = soup.select(
            '[aria-label*="rødkrumme"] a, [aria-label*="readcrumb"] a, .breadcrumb a')
        if crumbs:
            data["topic"] = [c.get_text(" ", strip=True) for c in crumbs]
    if (code := _meta(soup, "ddh:municipality", "municipality")):
        data["municipality"] = code
    if (desc := _meta(soup, "description", "og:description")):
        data["summary"] = desc
    else:
        first = main.find("p")
        if first:
            data["summary"] = first.get_text(" ", strip=True)
    ol = main.find("ol")
    if ol:
        data["steps"] = [li.get_text(" ", strip=True) for li in ol.find_all("li")]
    when = main.find("time") or soup.find("time")
    if when and when.get("datetime"):
        data["updated"] = when["datetime"]
    elif (mod := _meta(soup, "article:modified_time", "last-modified", "dcterms.modified")):
        data["updated"] = mod
    if (kw := _meta(soup, "keywords")):
        data["keywords"] = [k.strip() for k in kw.split(",") if k.strip()]
    if (gid := _meta(soup, "ddh:id", "guide-id")):
        data["id"] = gid
    for tag in main(_CHROME):
        tag.decompose()
    if h1:
        h1.decompose()
    data["body"] = html_to_text(str(main))
    return data


def read(path: Path, *, resolver: TopicResolver, source: str) -> ImportReport:
    report = ImportReport(files=1)
    data = parse_page(path.read_text(encoding="utf-8", errors="strict"))
    if not data.get("title"):
        report.problems.append(ImportProblem(str(path), "no <h1> or <title>: not a guide page"))
        return report
    try:
        report.guides.append(normalise(data, fallback_id=path.stem, resolver=resolver,
                                       source=source))
    except GuideError as exc:
        report.problems.append(ImportProblem(str(path), str(exc)))
    return report

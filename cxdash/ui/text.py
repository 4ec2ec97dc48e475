"""Text from the store, a file or a link, shown as itself in Streamlit's Markdown elements.

Titles, captions, alerts and subheaders render Markdown: a reason named `![x](http://…)` would
load an image from another host, `[click](javascript:…)` would become a link, `$x$` maths and
`:red[…]` a colour, a bare URL a link, `--` a dash. Every value that did not come from our own
code goes through `md()` before it is put into such an element, `st.table` cells included
(data grids and charts show text as text already).
"""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_\[\]<>$#|~])")
_DIRECTIVE = re.compile(r":(?=[A-Za-z-]+\\\[)")  # ":red\[" after escaping: a colour directive
_DASHES = re.compile(r"(?<=-)-")  # "--" would become a typographic dash
# GitHub-flavoured Markdown links bare "http://…", "www.…" and e-mail addresses (mailto:,
# xmpp:) even when their characters are escaped: an invisible word joiner (U+2060) between
# ":" and "//", after "www" and before "@" leaves nothing it recognises.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?=@)", re.IGNORECASE)
JOINER = "\u2060"


def md(text: object) -> str:
    """`text` escaped for Markdown (and LaTeX and directives, and GitHub's bare-URL links);
    line breaks kept."""
    escaped = _MARKDOWN.sub(r"\\\1", str(text))
    escaped = _DIRECTIVE.sub(r"\\:", escaped)
    escaped = _DASHES.sub(r"\\-", escaped)
    escaped = _AUTOLINK.sub(JOINER, escaped)
    return escaped.replace("\n", "  \n")

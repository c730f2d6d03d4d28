"""HTML to PDF with WeasyPrint and the CJK fonts that install with the project (the `pylopdf-fonts-zh-cn`
package: Noto Serif SC and Noto Sans SC, SIL Open Font License).

Nothing is fetched while rendering: the fetcher answers only the two font files and refuses every other URL
outright (a template that names one fails rather than reaching the network or the file system). WeasyPrint
subsets the fonts with HarfBuzz: Debian's `libharfbuzz-subset0` must be installed for the fast path.
"""
import pylopdf_fonts_zh_cn
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

FONTS = {"Noto Serif SC": pylopdf_fonts_zh_cn.serif_path(), "Noto Sans SC": pylopdf_fonts_zh_cn.sans_path()}
FONT_FACES = "\n".join(f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); }}'
                       for family, path in FONTS.items())


class FontsOnly(URLFetcher):
    """Fetches the packaged fonts and nothing else."""
    allowed = frozenset(path.as_uri() for path in FONTS.values())

    def fetch(self, url, headers=None):
        if url not in self.allowed:
            raise FatalURLFetchingError(f"contracts fetch nothing: {url}")
        return super().fetch(url, headers)


class RenderError(Exception):
    """A template asked for something a contract may not fetch."""


def render_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML document, its Chinese set in the packaged fonts."""
    fonts = FontConfiguration()
    fetcher = FontsOnly()
    faces = CSS(string=FONT_FACES, font_config=fonts, url_fetcher=fetcher)
    try:
        return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(stylesheets=[faces],
                                                                              font_config=fonts)
    except FatalURLFetchingError as exc:  # WeasyPrint's own kind stops rendering; ours is an ordinary error
        raise RenderError(str(exc)) from None

"""What an instructor opens is inert: active content is removed from the autograded notebook.

A submission is written by the student, and the autograded copy is what the formgrader, JupyterLab
and ``nbconvert --to html`` show the instructor, under the instructor's login. ``sanitize_notebook``
removes from it everything that could run script there, and keeps ordinary content as it is:

* **markdown cells** (and ``text/markdown`` outputs): the markdown source stays markdown. Each piece
  of HTML in it is read the way a browser reads it; ``<script>`` and ``<style>`` go with their
  content, elements that are not plain formatting (iframes, objects, embeds, forms, SVG, MathML,
  ``<meta>``, ``<base>``, ...) go, and event handlers (``onerror=``), ``style`` with URLs or
  positioning, and links to ``javascript:``, ``vbscript:`` or ``data:`` (other than images) are
  dropped from the tags that stay. Markdown links and images are checked the same way. Headings,
  emphasis, math (``$a<b$``), lists and code are left byte for byte as they were.
* **raw cells**: ``text/html`` ones are cleaned with nh3 (the ammonia sanitiser); JavaScript ones
  are emptied; SVG ones are cleaned like SVG outputs; the rest (which nbconvert pastes into its
  HTML when they have no format) like markdown.
* **outputs and attachments**: ``text/html`` is cleaned with nh3 (formatting, tables and images
  stay); ``image/svg+xml`` is parsed as XML and written back without scripts, event handlers,
  ``foreignObject``, animations or outside links (one that cannot be parsed is dropped);
  ``application/javascript``, widget views and every other kind of output that a front end may
  run as code are dropped; plain text, images, LaTeX and JSON stay. A display left with nothing
  is removed. Error and stream outputs (which decide the score) are never touched.
* the notebook's saved widget state (``metadata.widgets``) is dropped.
"""
import base64
import binascii
import html
import re
import xml.etree.ElementTree as ET

import nh3

MAX_TAGS = 10_000       # "<" read as possible tags in one notebook; past that, each is shown as text
MAX_TAG_CHARS = 1_024   # read of one tag; a longer one is shown as text
SAFE_SCHEMES = {"http", "https", "mailto", "attachment", "ftp", "ftps", "tel"}
# What a front end shows without running anything; every other kind of output is dropped.
KEPT_MIMETYPES = {"text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg",
                  "image/gif", "image/webp", "image/bmp", "image/svg+xml", "application/json"}
WHITESPACE = "\t\n\f\r "
# Removed with everything up to their end tag (their content is code, not text).
WITH_CONTENT = {"script", "style"}
# Removed even when the tag is not closed (a browser would close it at the next ">" of the page).
DANGEROUS = {"iframe", "frame", "frameset", "object", "embed", "applet", "param", "base", "basefont", "meta",
             "link", "form", "input", "button", "textarea", "select", "option", "optgroup", "datalist",
             "output", "keygen", "isindex", "label", "fieldset", "template", "noscript", "noembed", "noframes",
             "xmp", "plaintext", "listing", "title", "head", "html", "body", "svg", "math", "portal",
             "fencedframe", "dialog", "slot", "image", "animate", "animatemotion", "animatetransform", "set",
             "handler", "listener", "foreignobject", "bgsound", "layer", "ilayer", "xml", "marquee", "video",
             "audio", "source", "track", "picture", "canvas", "menuitem", "search"}
ALLOWED = set(nh3.ALLOWED_TAGS)
# Every element HTML defines (or once did): one that is not plain formatting is removed. A name that is
# none of these (``<y + 1$`` in ``$x<y + 1$``) makes an inert unknown element at most, and is kept.
KNOWN_HTML = ALLOWED | DANGEROUS | WITH_CONTENT | set(
    "address applet area audio big blink command content dir element legend main map menu meter multicol "
    "nextid nobr progress rb section shadow spacer tfoot".split())
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "cite", "codebase",
                  "dynsrc", "lowsrc", "longdesc", "usemap", "srcset", "ping", "manifest", "icon", "profile",
                  "classid", "archive", "xlink:href", "xml:base"}
ALWAYS_DROPPED_ATTRIBUTES = {"srcdoc", "formaction", "action", "is"}
SCRIPT_SCHEME = re.compile("(?i)(?:" + "|".join("[\t\n\r]*".join(word) for word in ("javascript", "vbscript",
                                                                                   "livescript")) + ")[\t\n\r]*:")
BAD_CSS = ("url(", "expression", "@import", "javascript", "vbscript", "behavior", "binding", "\\", "position")
# The parts of style that formatting needs; anything else in a style attribute is dropped.
STYLE_PROPERTIES = {"color", "background-color", "font-weight", "font-style", "font-size", "font-family",
                    "font-variant", "text-align", "text-decoration", "text-transform", "vertical-align",
                    "white-space", "line-height", "letter-spacing", "border", "border-collapse", "border-color",
                    "border-style", "border-width", "border-top", "border-bottom", "border-left", "border-right",
                    "padding", "padding-top", "padding-bottom", "padding-left", "padding-right", "margin",
                    "margin-top", "margin-bottom", "margin-left", "margin-right", "width", "height", "max-width",
                    "min-width", "list-style-type"}
SVG_NS, XLINK_NS, XML_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", \
    "http://www.w3.org/XML/1998/namespace"
SVG_ELEMENTS = {"svg", "g", "defs", "symbol", "use", "title", "desc", "metadata", "path", "rect", "circle",
                "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath", "marker", "linearGradient",
                "radialGradient", "stop", "pattern", "clipPath", "mask", "filter", "style", "image", "a", "switch",
                "view", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix",
                "feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood", "feFuncA",
                "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur", "feImage", "feMerge", "feMergeNode",
                "feMorphology", "feOffset", "fePointLight", "feSpecularLighting", "feSpotLight", "feTile",
                "feTurbulence"}
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


# ---- the notebook ------------------------------------------------------------------------------

def sanitize_notebook(notebook):
    """Remove active content from ``notebook`` (nbformat v4, changed in place); returns it."""
    budget = [MAX_TAGS]  # one budget for the whole notebook: its time is bounded whatever it holds
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = markdown(cell.source, budget)
        elif cell.cell_type == "raw":
            cell.source = raw(cell.source, cell.metadata.get("raw_mimetype") or cell.metadata.get("format") or "",
                              budget)
        elif cell.cell_type == "code":
            cell.outputs = [output for output in (_output(o, budget) for o in cell.get("outputs", []))
                            if output is not None]
        if "attachments" in cell:
            cell.attachments = {name: cleaned for name, bundle in (cell.attachments or {}).items()
                                if isinstance(bundle, dict) and (cleaned := mimebundle(bundle, True, budget))}
    return notebook


def _output(output, budget):
    if output.get("output_type") not in ("display_data", "execute_result", "update_display_data"):
        return output  # stream and error outputs: text, shown escaped; they decide the score
    data = output.get("data")
    output["data"] = mimebundle(data if isinstance(data, dict) else {}, False, budget)
    if not output["data"]:
        return None
    return output


def mimebundle(bundle, attachment=False, budget=None):
    """The kept entries of a mime bundle, each made inert; text in attachments may be base64."""
    cleaned = {}
    for mimetype, value in bundle.items():
        kind = mimetype.lower().split(";")[0].strip()
        if kind not in KEPT_MIMETYPES:
            continue
        if kind in ("text/html", "text/markdown", "text/latex", "image/svg+xml"):
            text, encoded = _text(value, attachment)
            text = {"text/html": html_fragment, "text/markdown": lambda t: markdown(t, budget),
                    "text/latex": _no_script_links, "image/svg+xml": svg}[kind](text)
            if text is None:
                continue
            value = base64.b64encode(text.encode()).decode() if encoded else text
        cleaned[mimetype] = value
    return cleaned


def _text(value, maybe_base64):
    text = "".join(value) if isinstance(value, list) else str(value)
    if maybe_base64 and "<" not in text:
        try:
            return base64.b64decode(re.sub(r"\s+", "", text), validate=True).decode("utf-8"), True
        except (binascii.Error, UnicodeDecodeError, ValueError):
            pass
    return text, False


def raw(source, mimetype, budget=None):
    kind = mimetype.lower()
    if "javascript" in kind or "ecmascript" in kind:
        return ""
    if "svg" in kind:
        return svg(source) or ""
    if "html" in kind or "xml" in kind:
        return html_fragment(source)
    return markdown(source, budget)


# ---- HTML (outputs, attachments, raw cells) ----------------------------------------------------

def _html_attribute(tag, attribute, value):
    if re.sub(r"[\x00-\x20]+", "", value).lower().startswith("data:"):
        return value if (tag, attribute) == ("img", "src") and _is_image_data(value) else None
    return value


def _is_image_data(value):
    return re.sub(r"[\x00-\x20]+", "", value).lower().startswith("data:image/")


def html_fragment(text):
    """An HTML fragment cleaned by nh3: formatting, tables, links and images stay; script does not."""
    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = {"class", "title", "style", "lang", "dir", "align"}
    attributes["table"] = attributes.get("table", set()) | {"border"}
    return nh3.clean(text, clean_content_tags=WITH_CONTENT, attributes=attributes,
                     url_schemes=set(nh3.ALLOWED_URL_SCHEMES) | {"data", "attachment"},
                     attribute_filter=_html_attribute, filter_style_properties=STYLE_PROPERTIES)


# ---- markdown (cells, outputs, raw cells without a format) ------------------------------------

def markdown(text, budget=None):
    """Markdown with its HTML and links made inert; text with no HTML and no unsafe link is unchanged.

    ``budget`` ([number of "<" still to read as tags]) bounds the work: past it, every "<" is shown
    as text ("&lt;"), which is always safe."""
    budget = [MAX_TAGS] if budget is None else budget
    for _ in range(8):  # removing one thing must not join two halves into a new one: repeat until stable
        cleaned = _no_script_links(_markdown_links(_html_in_text(text, budget)))
        if cleaned == text:
            return text
        text = cleaned
    return html.escape(text)


def _unsafe_url(value, images=True):
    for candidate in {value, html.unescape(value), re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", html.unescape(value))}:
        compact = re.sub(r"[\x00-\x20\x7f]+", "", candidate).lower()
        scheme = re.match(r"([a-z][a-z0-9+.\-]*):", compact)
        if scheme and scheme.group(1) not in SAFE_SCHEMES and not (images and compact.startswith("data:image/")):
            return True
    return False


def _no_script_links(text):
    """Any ``javascript:`` left (in math's ``\\href``, in prose) stops being a URL scheme."""
    return SCRIPT_SCHEME.sub(lambda m: re.sub(r"[\t\n\r]*:$", "", m.group(0)) + " (blocked):", text)


INLINE_LINK = re.compile(r"\]\([ \t]*\n?[ \t]*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)")
# A tag as CommonMark reads it (what a markdown reader passes on as HTML, rather than as text).
MARKDOWN_TAG = re.compile(r"<[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*"
                          r"(?:\s*=\s*(?:[^\s\"'=<>`]+|'[^']*'|\"[^\"]*\"))?)*\s*/?>")
MARKDOWN_END_TAG = re.compile(r"</[A-Za-z][A-Za-z0-9-]*\s*>")
AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*)>")
REFERENCE = re.compile(r"^( {0,3}\[[^\]\n]+\]:[ \t]*\n?[ \t]*)(<[^>\n]*>|\S+)", re.M)


def _markdown_links(text):
    def inline(match):
        return "](#" if _unsafe_url(match.group(1).strip("<>")) else match.group(0)

    def reference(match):
        return match.group(1) + "#" if _unsafe_url(match.group(2).strip("<>")) else match.group(0)

    return REFERENCE.sub(reference, INLINE_LINK.sub(inline, text))


def _tag(text, start):
    """Read a tag at ``text[start] == '<'`` as a browser's tokenizer does.

    Returns (name as written, [(attribute lowercased, value)], end, closed): ``end`` is just past the
    ``>``, or len(text) when there is none (a browser would take the page's next ``>``). A tag is
    read for at most MAX_TAG_CHARS; a longer one is returned with the attribute ``"<too long>"``."""
    n, i = min(len(text), start + MAX_TAG_CHARS), start + 1 + (text[start + 1] == "/")
    j = i
    while j < n and text[j] not in WHITESPACE and text[j] not in "/>":
        j += 1
    name, i, attributes = text[i:j], j, []
    while i < n:
        c = text[i]
        if c in WHITESPACE or c == "/":
            i += 1
            continue
        if c == ">":
            return name, attributes, i + 1, True
        j = i + 1  # a first "=" belongs to the name
        while j < n and text[j] not in WHITESPACE and text[j] not in "/>=":
            j += 1
        attribute, i, value = text[i:j].lower(), j, ""
        while i < n and text[i] in WHITESPACE:
            i += 1
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i] in WHITESPACE:
                i += 1
            if i < n and text[i] in "\"'":
                end = text.find(text[i], i + 1)
                value, i = (text[i + 1:], n) if end < 0 else (text[i + 1:end], end + 1)
            else:
                end = i
                while end < n and text[end] not in WHITESPACE and text[end] != ">":
                    end += 1
                value, i = text[i:end], end
        attributes.append((attribute, value))
    if n < len(text):
        attributes.append(("<too long>", "x"))
    return name, attributes, n, False


def _dangerous_attribute(tag, attribute, value):
    if attribute == "<too long>":
        return True  # not read to its end: assume the worst
    if not value.strip():
        return False  # an event handler with no code does nothing ("one", "is" in prose read as attributes)
    if attribute in ALWAYS_DROPPED_ATTRIBUTES or attribute.startswith("on"):
        return True
    decoded = {value, html.unescape(value)}
    compact = [re.sub(r"[\x00-\x20\x7f]+", "", v).lower() for v in decoded]
    if attribute == "style":
        return any(bad in c for c in compact for bad in BAD_CSS)
    if attribute in URL_ATTRIBUTES or attribute.endswith(("href", "src")):
        images = (tag, attribute) == ("img", "src")
        urls = [part.strip().split(" ")[0] for part in value.split(",")] if attribute == "srcset" else [value]
        if any(_unsafe_url(url, images) for url in urls):
            return True
    # Markup inside a value means something only to a reader that would see a tag there.
    return any(SCRIPT_SCHEME.search(v) or "data:text" in c or re.search(r"<[/!?A-Za-z]", v)
               for v, c in zip(decoded, compact))


def _end_of_element(text, start, name):
    """Where the element whose start tag ends at ``start`` ends, its end tag included."""
    match = re.compile(rf"(?i)</{re.escape(name)}(?=[{WHITESPACE}/>]|$)").search(text, start)
    return _tag(text, match.start())[2] if match else len(text)


def _html_in_text(text, budget):
    """Every tag in ``text`` (markdown or raw text) read as a browser would, and made inert."""
    count = text.count("<")
    if count > budget[0]:
        return text.replace("<", "&lt;")
    budget[0] -= count
    out, i, n = [], 0, len(text)
    while True:
        found = text.find("<", i)
        if found < 0 or found + 1 >= n:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:found])
        after = text[found + 1]
        if after in "!?" or (after == "/" and not (found + 2 < n and text[found + 2].isascii()
                                                  and text[found + 2].isalpha())):
            # A comment, declaration or bogus end tag: a browser hides what follows up to a ">",
            # which could hide the end of a quoted value from this reader; shown as text instead.
            out.append("&lt;")
            i = found + 1
            continue
        if not (after.isascii() and after.isalpha()) and after != "/":
            out.append("<")
            i = found + 1
            continue
        autolink = AUTOLINK.match(text, found)
        if autolink:  # <https://...>, which markdown makes a link
            out.append("" if _unsafe_url(autolink.group(1), images=False) else autolink.group(0))
            i = autolink.end()
            continue
        name, attributes, end, closed = _tag(text, found)
        token, tag = text[found:end], name.lower()
        harmless = not any(_dangerous_attribute(tag, a, v) for a, v in attributes)
        unwanted = tag in WITH_CONTENT or tag in DANGEROUS or tag not in ALLOWED and (
            tag in KNOWN_HTML or re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]*)+", tag))  # custom elements too
        if not (closed and (MARKDOWN_TAG.fullmatch(token) or MARKDOWN_END_TAG.fullmatch(token))):
            # Not a tag to a markdown reader ($a<b$, y_{<t}); a browser reading raw HTML would make
            # it an element, closed by some later ">". Kept if that element would be inert, else
            # shown as text; either way what follows the "<" is read again, as a markdown reader would.
            out.append("<" if harmless and not unwanted else "&lt;")
            i = found + 1
            continue
        if tag in WITH_CONTENT and after != "/":
            end = _end_of_element(text, end, tag)
        elif unwanted:
            pass
        elif after == "/":
            out.append(f"</{name}>")  # an end tag's attributes mean nothing
        elif harmless:
            # A "<" inside could start a tag for a markdown reader (which gives up on some tags a
            # browser accepts): made "&lt;", which means the same in an attribute value.
            out.append("<" + token[1:].replace("<", "&lt;"))
        else:
            kept = "".join(f' {a}="{html.escape(v, quote=True)}"' for a, v in attributes
                           if re.fullmatch(r"[a-z_:][a-z0-9_:.\-]*", a) and not _dangerous_attribute(tag, a, v))
            out.append(f"<{name}{kept}>")
        i = end


# ---- SVG ---------------------------------------------------------------------------------------

def svg(text):
    """The SVG parsed as XML and written back without anything that runs; None if it cannot be parsed."""
    if re.search(r"(?i)<!ENTITY", text):
        return None
    try:
        root = ET.fromstring(text.encode() if isinstance(text, str) else text)
    except (ET.ParseError, ValueError):
        return None
    if _svg_name(root) != "svg":
        return None
    try:
        _clean_svg(root)
    except RecursionError:  # nested deeper than any drawing: dropped
        return None
    return ET.tostring(root, encoding="unicode")


def _svg_name(element):
    namespace, _, local = element.tag.rpartition("}")
    return local if namespace.lstrip("{") in ("", SVG_NS) and local in SVG_ELEMENTS else None


def _clean_svg(element):
    name = _svg_name(element)
    for key in list(element.attrib):
        value = element.attrib[key]
        namespace, _, local = key.rpartition("}")
        namespace = namespace.lstrip("{")
        attribute = {"": local, XLINK_NS: f"xlink:{local}", XML_NS: f"xml:{local}"}.get(namespace)
        keep = attribute is not None and attribute != "xml:base"
        if keep and attribute.endswith("href"):
            keep = value.startswith("#") or (name in ("image", "a") and not _unsafe_url(value, False)) \
                or (name == "image" and _is_image_data(value))
            keep = keep and not SCRIPT_SCHEME.search(value)
        elif keep:
            keep = not _dangerous_attribute(name, attribute.lower(), value)
            if attribute == "style" and not keep:
                keep = not any(bad in re.sub(r"url\(\s*#", "", value.lower()) for bad in BAD_CSS if bad != "position")
        if not keep:
            del element.attrib[key]
    if name == "style" and element.text and any(
            bad in re.sub(r"url\(\s*#", "", element.text.lower()) for bad in BAD_CSS if bad != "position"):
        element.text = ""
    for child in list(element):
        if _svg_name(child) is None:
            element.remove(child)
        else:
            _clean_svg(child)

"""The "Similarity" section of class_summary.html: the flagged pairs ranked, each side by side with the shared
passages marked, one figure of the class, and what was discounted. Student text is escaped (inert.py)."""

import html
import re
import warnings
from collections import defaultdict

import numpy as np

from grader import inert
from grader.similarity.comparison import Comparison, example, shared_lines

COLOUR = "#ff7f0e"  # flagged pairs in the figure (the browser test finds the figure by it)
LISTED = "#ffd9b3"  # pairs listed in similarity.csv but not flagged
MARK = "#ffd27f"  # the background of shared lines, side by side
MAX_PAIRS = 50  # flagged pairs shown side by side (similarity.csv lists them all)
MAX_OPEN = 10  # of which shown open
MAX_LINES = 300  # lines of code shown per side
MAX_FIGURE = 40  # students in the figure
EXAMPLES = 3  # common passages shown per part
_SURROGATE = re.compile("[\ud800-\udfff]")

STYLE = f"""<style>#similarity .side{{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1em}}
#similarity pre{{font-size:12px;background:#f7f7f7;padding:4px;overflow-x:auto;margin:0 0 .5em}}
#similarity mark{{background:{MARK}}} #similarity .cell{{color:#777;font-size:11px}}
#similarity li{{margin-bottom:1em}} #similarity .zh{{color:#444}}</style>"""


def section(c: Comparison) -> str:
    """The section's HTML (one <section id="similarity">), student text escaped."""
    flag = f"{c.settings.flag_score:g}"
    parts = [
        STYLE,
        '<section id="similarity"><h2>Similarity 相似度</h2>',
        f"<p>Pairs of submissions whose own code is alike beyond the template and the obvious answer: similar, "
        f"worth a look. A score (0 to 1) is the share of the two students' own passages that they have in common; "
        f"a pair is flagged at {flag} in a graded function or in their own cells as a whole (notebook). It is not "
        f"a finding of misconduct: read the code side by side, then talk to the students.<br>"
        f'<span class="zh">除去模板与常见写法之后,自己编写的代码仍然相似的提交对:相似,值得一看。分数(0 到 1)是两人各自'
        f"代码片段中相同部分的比例;某个评分函数或全部自写单元格(notebook)的分数达到 {flag} 即标出。这不是违规的结论:"
        f"请并排阅读代码,再与学生沟通。</span></p>",
        _discounted(c),
    ]
    flagged = c.flagged()
    if len(c.submissions) < 2:
        parts.append("<p>Fewer than two submissions were read: nothing to compare. 可读的提交少于两份,无从比较。</p>")
    elif not flagged:
        parts.append(
            "<p><b>No pair is similar beyond the template and the obvious answer.</b> "
            '<span class="zh">除模板与常见写法外,没有相似的提交。</span></p>'
        )
    if c.pairs:
        parts.append(_figure(c))
    if flagged:
        parts.append(f"<h3>Flagged pairs, most similar first 标出的提交对(按相似度排序): {len(flagged)}</h3><ol>")
        parts += [_pair(c, rank, a, b, ps) for rank, (a, b, ps) in enumerate(flagged[:MAX_PAIRS])]
        parts.append("</ol>")
        if len(flagged) > MAX_PAIRS:
            parts.append(
                f"<p>{len(flagged) - MAX_PAIRS} more flagged pairs in similarity.csv. 其余见 similarity.csv。</p>"
            )
    parts += [_common(c), _not_read(c), "</section>"]
    return "\n".join(p for p in parts if p)


def _discounted(c: Comparison) -> str:
    common = sum(c.discounted.values())
    below, below_zh = (", the most common below", ",最常见的列于下方") if common else ("", "")
    return (
        f"<p><b>Not counted 未计入:</b> the release notebook (template, given code and text) and the instructor's "
        f"solutions; {common} passages that more than {c.cutoff} of the {len(c.submissions)} submissions share (the "
        f"obvious answer{below}); names, comments, docstrings, layout, the text of strings, the order of "
        "independent statements, dead code, and whether a loop or a comprehension builds a list.<br>"
        f'<span class="zh">发布版笔记本(模板、给定代码与文字)和教师答案;超过 {c.cutoff} 份提交共有的 {common} 个片段'
        f"(常见写法{below_zh});变量名、注释、文档字符串、排版、字符串内容、无依赖语句的顺序、无效代码,"
        "以及用循环还是推导式构造列表。</span></p>"
    )


def _pair(c: Comparison, rank: int, a: str, b: str, parts: list) -> str:
    scores = ", ".join(f"{p.part} {p.score:.2f}" for p in parts)
    out = [f"<li><b>{_name(a)}</b> — <b>{_name(b)}</b>: {scores}"]
    for i, p in enumerate(parts):
        lines_a, lines_b = shared_lines(c, a, b, p.part)
        opened = " open" if rank < MAX_OPEN and i == 0 else ""
        out.append(
            f"<details{opened}><summary>{p.part}: score {p.score:.2f}, {p.shared} passages in common "
            f"共同片段 (marked 高亮)</summary><div class=side>"
            f"<div><b>{_name(a)}</b>{_code(c, a, p.part, lines_a)}</div>"
            f"<div><b>{_name(b)}</b>{_code(c, b, p.part, lines_b)}</div></div></details>"
        )
    return "\n".join(out) + "</li>"


def text(student_text: str) -> str:
    """Student text (a folder name, a line of code) as valid Unicode: a lone surrogate (bytes that were not
    UTF-8 in a folder name, an escape in the JSON) becomes U+FFFD, which every writer and font accepts."""
    return _SURROGATE.sub("\ufffd", student_text)


def _name(student: str) -> str:
    return html.escape(inert.one_line(text(student), 80))


def _code(c: Comparison, student: str, part: str, marked: dict[int, set[int]]) -> str:
    """The part's code as the student wrote it, shared lines marked; at most MAX_LINES lines."""
    sub = c.submissions[student]
    out, budget = [], MAX_LINES
    for cell, first, last in sub.parts[part].spans:
        lines = sub.cells.get(cell, "").splitlines()[first - 1 : last][:budget]
        if not lines:
            continue
        budget -= len(lines)
        hit = marked.get(cell, set())
        body = "\n".join((f"<mark>{_line(t)}</mark>" if first + n in hit else _line(t)) for n, t in enumerate(lines))
        out.append(f"<div class=cell>cell {cell}, lines {first}-{first + len(lines) - 1}</div><pre>{body}</pre>")
        if budget <= 0:
            out.append("<div class=cell>(cut)</div>")
            break
    return "".join(out)


def _line(line: str) -> str:
    return html.escape(inert.plain(text(line))[:300])


def _common(c: Comparison) -> str:
    """Per part, a few of the passages most submissions share: the similarity that is the obvious answer."""
    rows = []
    for part, found in c.common.items():
        seen: set[str] = set()
        for fingerprint, count in found[: 10 * EXAMPLES]:
            passage = example(c, part, fingerprint).strip()
            if passage and passage not in seen and len(seen) < EXAMPLES:
                seen.add(passage)
                rows.append(f"<tr><td>{part}</td><td>{count}</td><td><pre>{_line(passage)}</pre></td></tr>")
    if not rows:
        return ""
    return (
        "<details><summary>The obvious answer: passages that many submissions share, not counted "
        "常见写法:许多提交共有的片段,未计入</summary><table><tr><th>part</th><th>submissions</th>"
        f"<th>passage (as one student wrote it)</th></tr>{''.join(rows)}</table></details>"
    )


def _not_read(c: Comparison) -> str:
    notes = [f"{_name(s)}: {html.escape(inert.one_line(text(why), 200))}" for s, why in sorted(c.not_read.items())]
    unparsable = sum(any("does not parse" in n for n in s.notes) for s in c.submissions.values())
    out = []
    if notes:
        out.append(f"<p>Not compared 未比较 ({len(notes)}): " + "; ".join(notes[:20]) + "</p>")
    if unparsable:
        out.append(
            f"<p>{unparsable} submissions have cells that do not parse as Python: those cells were compared as "
            "text. 有单元格无法解析为 Python 的提交,这些单元格按文本比较。</p>"
        )
    return "".join(out)


def _figure(c: Comparison) -> str:
    """A heatmap of the students in listed pairs (best score over the parts), clustered by flagged pairs."""
    from grader.class_summary import png

    best: dict[tuple[str, str], float] = defaultdict(float)
    flagged: dict[tuple[str, str], bool] = defaultdict(bool)
    for p in c.pairs:
        best[p.a, p.b] = max(best[p.a, p.b], p.score)
        flagged[p.a, p.b] |= p.flagged
    order = _clustered(best, flagged)[:MAX_FIGURE]
    at = {s: i for i, s in enumerate(order)}
    level = np.zeros((len(order), len(order)))
    for a, b in best:
        if a in at and b in at:
            level[at[a], at[b]] = level[at[b], at[a]] = 2 if flagged[a, b] else 1
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
        side = min(9.0, 3 + 0.3 * len(order))
        fig, ax = plt.subplots(figsize=(side + 1.5, side), layout="constrained")
        ax.imshow(level, cmap=ListedColormap(["#ffffff", LISTED, COLOUR]), vmin=0, vmax=2)
        names = [inert.one_line(text(s), 30) for s in order]
        ax.set_xticks(range(len(order)), names, rotation=90, fontsize=7)
        ax.set_yticks(range(len(order)), names, fontsize=7)
        if len(order) <= 16:
            for (a, b), score in best.items():
                if a in at and b in at:
                    for i, j in ((at[a], at[b]), (at[b], at[a])):
                        ax.text(j, i, f"{score:.2f}", ha="center", va="center", fontsize=7)
        ax.set_title("Best score of each pair: orange flagged, light listed", fontsize=9)
        with warnings.catch_warnings():  # a name in a script the font lacks is drawn as boxes, not an error
            warnings.filterwarnings("ignore", "Glyph .* missing from font")
            image = png(fig)
    caption = (
        f"Pairs at or above the reporting floor ({len(order)} students): orange flagged, light only listed "
        "达到列出阈值的提交对:橙色为标出,浅色仅列出"
    )
    return (
        f'<figure id="similarity-figure"><figcaption>{caption}</figcaption>'
        f'<img alt="{caption}" src="data:image/png;base64,{image}"></figure>'
    )


def _clustered(best: dict[tuple[str, str], float], flagged: dict[tuple[str, str], bool]) -> list[str]:
    """Students ordered so that each flagged group sits together: groups by their strongest pair, then each
    group grown from its strongest pair by the next strongest link (the rest after, by their best score)."""
    links: dict[str, dict[str, float]] = defaultdict(dict)
    for (a, b), score in best.items():
        links[a][b] = links[b][a] = score
    strength = {s: max(ls.values()) for s, ls in links.items()}
    order: list[str] = []
    placed: set[str] = set()
    for start in sorted(links, key=lambda s: (-strength[s], s)):
        if start in placed:
            continue
        group = [start]
        placed.add(start)
        while True:
            reach = [
                (score, n)
                for s in group
                for n, score in links[s].items()
                if n not in placed and flagged[min(s, n), max(s, n)]
            ]
            if not reach:
                break
            _, nxt = max(reach, key=lambda t: (t[0], t[1]))
            group.append(nxt)
            placed.add(nxt)
        order += group
    return order

"""The one table: Markdown, so it can go into the README as printed."""

COLUMNS = ["workload", "ocibatch", "skopeo", "limit", "ocibatch/limit", "skopeo/ocibatch", "notes"]


def _cell(value, unit):
    if isinstance(value, float):
        return f"{value:.1f} MiB" if unit == "MiB" else f"{value:.2f} s"
    return str(value)


def _ratio(numerator, denominator):
    if isinstance(numerator, float) and isinstance(denominator, float) and denominator > 0:
        return f"{numerator / denominator:.2f}×"
    return "—"


def render_table(rows):
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = [
            row.workload,
            _cell(row.ocibatch, row.unit),
            _cell(row.skopeo, row.unit),
            _cell(row.limit, row.unit),
            _ratio(row.ocibatch, row.limit) if row.ratios else "—",
            _ratio(row.skopeo, row.ocibatch) if row.ratios else "—",
            "; ".join(row.notes).replace("|", "\\|"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)

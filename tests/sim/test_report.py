import html
import json
import re
from pathlib import Path

from c2net.sim import TABLE_COLUMNS, compare, write_report
from c2net.sim.scenario import parse_scenario
from tests.sim.builders import national


def test_html_table_shows_the_json_numbers(tmp_path: Path) -> None:
    sc = parse_scenario(national(300))
    runs = compare(sc, ["first-fit", "cost"])
    json_path, html_path = write_report(tmp_path, sc, runs)
    data = json.loads(json_path.read_text())
    page = html_path.read_text()
    assert set(data["policies"]) == {"first-fit", "cost"}
    for name, m in data["policies"].items():
        row = re.search(rf'<tr data-policy="{name}">(.*?)</tr>', page)
        assert row is not None
        cells = dict(re.findall(r'<td data-key="(\w+)">([^<]*)</td>', row.group(1)))
        assert set(cells) == {k for k, _ in TABLE_COLUMNS}
        for key, shown in cells.items():
            text = html.unescape(shown)
            assert (text if isinstance(m[key], str) else json.loads(text)) == m[key], key
    assert page.count("data:image/png;base64,") == 3 + len(runs)  # 3 plots + 1 heat map each

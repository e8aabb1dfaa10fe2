#!/usr/bin/env python3
"""The report page in a real browser: `ember report` on three runs' metrics
files, opened in headless Chromium.

Checks, against the metrics files themselves:
  - the series embedded in the page (<script id="ember-data">) hold exactly
    the files' values;
  - the DOM after the page's script ran holds one chart per numeric field of
    the files' progress, eval and checkpoint lines, and in it one
    <path class="series"> per run with that field, with as many points
    (data-points) as the run has lines with it;
  - the screenshot is not blank: in each chart's plot area enough pixels are
    not white, and the colour of each of its series is there.

  report_browser_test.py EMBER_BINARY TESTDATA_DIR
Exits 77 (ctest's skip) when no chromium is installed (Debian: apt-get
install chromium; EMBER_TEST_DEPS=1 launch/install-deps.sh installs it,
as launch/test.sh does). Decodes the PNG with
zlib alone.
"""
import html.parser
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

RUNS = ["wide_deep.jsonl", "wide_deep_2servers.jsonl", "din.jsonl"]
X_FIELD = {"progress": "step", "eval": "epoch", "checkpoint": "step"}
WIDTH, HEIGHT = 1200, 3400  # the window; the page of the three runs is about 2,850 px high
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def find_chromium():
    for name in (os.environ.get("EMBER_CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def read_runs(testdata):
    runs = []
    for name in RUNS:
        with open(os.path.join(testdata, name)) as f:
            runs.append((name, [json.loads(line) for line in f if line.strip()]))
    return runs


def expected_series(runs):
    """{chart id: {run label: [(x, y), ...]}} from the files, for the drawn events."""
    charts = {}
    for label, lines in runs:
        for line in lines:
            x_field = X_FIELD.get(line["event"])
            if x_field is None:
                continue
            for field, value in line.items():
                if field in ("event", "step", "epoch", "server") or isinstance(value, (str, bool)):
                    continue
                charts.setdefault(line["event"] + "." + field, {}).setdefault(label, []).append(
                    (line[x_field], value))
    return charts


class DomCharts(html.parser.HTMLParser):
    """The chart cards and series paths of the DOM that --dump-dom prints."""

    def __init__(self):
        super().__init__()
        self.charts = {}  # id -> {"box": [x, y, w, h], "series": [attrs]}
        self.body = {}
        self.current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body = attrs
        classes = attrs.get("class", "").split()
        if tag == "div" and "chart" in classes:
            box = [int(v) for v in attrs.get("data-box", "0,0,0,0").split(",")]
            self.current = attrs["data-chart"]
            self.charts[self.current] = {"box": box, "series": []}
        if tag == "path" and "series" in classes and self.current is not None:
            self.charts[self.current]["series"].append(attrs)


def run_chromium(chromium, profile, *arguments):
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--force-device-scale-factor=1", "--user-data-dir=" + profile, *arguments]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if done.returncode != 0:
        sys.exit("chromium failed (%d): %s\n%s" % (done.returncode, " ".join(command), done.stderr.decode()[-2000:]))
    return done.stdout.decode()


def add_bytes(a, b):
    """a + b byte by byte, modulo 256 (the PNG "up" filter), on whole rows at once."""
    n = len(a)
    x, y = int.from_bytes(a, "little"), int.from_bytes(b, "little")
    low, high = int.from_bytes(b"\x7f" * n, "little"), int.from_bytes(b"\x80" * n, "little")
    return bytearray((((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(n, "little"))


def unfilter(kind, line, previous, channels):
    """One PNG row without its filter (PNG spec, section 9)."""
    if kind == 0:
        return line
    if kind == 2:
        return add_bytes(line, previous)
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - channels] if i >= channels else 0
        if kind == 1:
            out[i] = (out[i] + left) & 0xFF
        elif kind == 3:
            out[i] = (out[i] + ((left + previous[i]) >> 1)) & 0xFF
        else:
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            out[i] = (out[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
    return out


def decode_png(path):
    """(width, height, channels, rows) of an 8-bit RGB or RGBA PNG; a row is a bytearray."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(path + ": not a PNG")
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace != 0:
                sys.exit("%s: PNG of depth %d colour type %d interlace %d: not decoded here" %
                         (path, depth, colour, interlace))
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        previous = unfilter(raw[start], raw[start + 1:start + 1 + stride], previous, channels)
        rows.append(previous)
    return width, height, channels, rows


# Bytes below 235 (not white nor near it) to 1, the others to 0.
INK = bytes(1 if b < 235 else 0 for b in range(256))


def main():
    ember, testdata = sys.argv[1], sys.argv[2]
    chromium = find_chromium()
    if chromium is None:
        print("SKIP: no chromium (apt-get install chromium)")
        return 77
    runs = read_runs(testdata)
    expected = expected_series(runs)
    work = tempfile.mkdtemp(prefix="ember_report_browser_")
    try:
        page = os.path.join(work, "report.html")
        made = subprocess.run([ember, "report", "--metrics=" + ",".join(os.path.join(testdata, r) for r in RUNS),
                               "--out=" + page], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if made.returncode != 0:
            sys.exit("ember report failed (%d): %s" % (made.returncode, made.stderr.decode()))
        print(made.stdout.decode().strip())

        # The embedded series are the files' values, bit for bit.
        with open(page) as f:
            text = f.read()
        opening = '<script id="ember-data" type="application/json">'
        start = text.index(opening) + len(opening)
        data = json.loads(text[start:text.index("</script>", start)])
        colours = {run["label"]: run["color"] for run in data["runs"]}
        check(sorted(c["id"] for c in data["charts"]) == sorted(expected),
              "embedded charts %s, the files have %s" % (sorted(c["id"] for c in data["charts"]), sorted(expected)))
        for chart in data["charts"]:
            got = {s["label"]: [tuple(p) for p in s["points"]] for s in chart["series"]}
            check(got == expected.get(chart["id"]), "chart %s: embedded series differ from the files" % chart["id"])

        # One Chromium run: the DOM after the page's script ran, and a
        # screenshot of the whole page (its layout does not depend on the
        # window's height).
        shot = os.path.join(work, "report.png")
        dom_text = run_chromium(chromium, os.path.join(work, "profile"), "--window-size=%d,%d" % (WIDTH, HEIGHT),
                                "--dump-dom", "--screenshot=" + shot, "file://" + page)
        dom = DomCharts()
        dom.feed(dom_text)
        if not check(dom.body.get("data-rendered") == "true" and "data-error" not in dom.body,
                     "the page's script did not finish: body %s" % dom.body):
            raise SystemExit("\n".join(failures))
        check(sorted(dom.charts) == sorted(expected),
              "DOM charts %s, the files have %s" % (sorted(dom.charts), sorted(expected)))
        for chart_id, series_by_run in expected.items():
            drawn = {s["data-run"]: s for s in dom.charts.get(chart_id, {"series": []})["series"]}
            check(sorted(drawn) == sorted(series_by_run),
                  "chart %s: series of %s, the files have %s" % (chart_id, sorted(drawn), sorted(series_by_run)))
            for label, points in series_by_run.items():
                if label in drawn:
                    check(drawn[label].get("data-points") == str(len(points)),
                          "chart %s, run %s: %s points drawn, the file has %d" %
                          (chart_id, label, drawn[label].get("data-points"), len(points)))

        # The screenshot, taken by the same Chromium run: every chart's plot
        # area has ink, and the colour of each series that no later series
        # hides (one with the same points, drawn over it).
        check(int(dom.body.get("data-page-height", "0")) <= HEIGHT,
              "the page is %s px high, the screenshot %d" % (dom.body.get("data-page-height"), HEIGHT))
        width, png_height, channels, rows = decode_png(shot)
        check(width == WIDTH, "screenshot %dx%d, asked for width %d" % (width, png_height, WIDTH))
        for chart_id, chart in sorted(dom.charts.items()):
            x, y, w, h = chart["box"]
            if not check(w > 100 and h > 100 and x + w <= width and y + h <= png_height,
                         "chart %s: plot area %s outside the %dx%d screenshot" % (chart_id, chart["box"], width,
                                                                                  png_height)):
                continue
            series = expected.get(chart_id, {})
            labels = list(series)
            visible = [label for i, label in enumerate(labels)
                       if not any(series[later] == series[label] for later in labels[i + 1:])]
            wanted = {label: bytes(int(colours[label][i:i + 2], 16) for i in (1, 3, 5)) +
                      (b"\xff" if channels == 4 else b"") for label in visible}
            ink, counts = 0, dict.fromkeys(visible, 0)
            for row in rows[y:y + h]:
                area = bytes(row[x * channels:(x + w) * channels])
                ink += area.translate(INK).count(1)
                for label, colour in wanted.items():
                    counts[label] += area.count(colour)
            check(ink >= 0.01 * w * h, "chart %s: only %d of %d channel values drawn" % (chart_id, ink, w * h * 3))
            for label in visible:
                check(counts[label] >= 10, "chart %s: %d pixels of run %s's colour %s" %
                      (chart_id, counts[label], label, colours[label]))
        print("checked %d charts: embedded series, DOM points and screenshot pixels" % len(dom.charts))
    finally:
        if failures or os.environ.get("EMBER_KEEP_REPORT"):
            print("page and screenshot kept in " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

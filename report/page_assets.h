// report/page_assets.h: the style sheet and the script that the report
// page inlines (report/page.h). The script reads the JSON of
// <script id="ember-data"> and draws, into <main id="report">, a table of
// the runs and their final lines and an SVG chart per chart of the data:
// axes with ticks and labels, a legend, one <path class="series"> per
// series with data-run, data-points (the series' points, nulls included)
// and data-drawn (those with a y), and a hover read-out. When done it sets
// data-box on each chart (its plot area in page pixels: "x,y,w,h") and
// data-rendered and data-page-height on <body>; on an error it shows the
// error on the page and sets data-error on <body>. No network, no library.
#pragma once

namespace ember::report {

extern const char kPageStyle[];
extern const char kPageScript[];

}  // namespace ember::report

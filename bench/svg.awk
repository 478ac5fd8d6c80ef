# svg.awk — the frame the benches' plots share (bench/scale.sh,
# bench/reaction-report.sh): load with `awk -f bench/svg.awk -f PROGRAM`.
#
# svg_frame(W, H, L, R, T, B, TITLE, YMAX, NTICKS): opens an SVG of W x H
# on white, TITLE on top, axes inset by L, R, T, B, and NTICKS + 1 labelled
# grid lines from 0 to YMAX. svg_y(V) is the y of value V in that frame;
# svg_close() ends the document.
function svg_frame(w, h, l, r, t, b, title, ymax, nticks,   i, y) {
        SVG_H = h; SVG_T = t; SVG_B = b; SVG_YMAX = ymax
        printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", w, h
        printf "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h
        printf "<text x=\"%d\" y=\"18\" text-anchor=\"middle\">%s</text>\n", w / 2, title
        printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", l, h - b, w - r, h - b
        printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", l, t, l, h - b
        for (i = 0; i <= nticks; i++) {
                y = svg_y(ymax * i / nticks)
                printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", l - 6, y + 4, ymax * i / nticks
                printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", l, y, w - r, y
        }
}
function svg_y(v) { return SVG_H - SVG_B - v / SVG_YMAX * (SVG_H - SVG_B - SVG_T) }
function svg_close() { print "</svg>" }

package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/gophi/gophi/internal/atomicfile"
)

// The loss curve's canvas and plot area, in SVG user units (pixels).
const (
	svgWidth     = 800
	svgHeight    = 480
	marginLeft   = 72
	marginRight  = 24
	marginTop    = 44
	marginBottom = 56
	plotLeft     = marginLeft
	plotRight    = svgWidth - marginRight
	plotTop      = marginTop
	plotBottom   = svgHeight - marginBottom
)

// Series colours.
const (
	trainColor = "#1f77b4"
	valColor   = "#d62728"
)

// headFraction is the share of the step range at the start of a run whose
// losses may be left out of the y range (see RenderSVG).
const headFraction = 0.02

// yPad is the share of the loss range added below and above it before it is
// rounded to ticks.
const yPad = 0.04

// clipMargin is how far (pixels) dots and lines may reach past the plot's
// frame before they are clipped, so a dot on the frame is drawn whole.
const clipMargin = 4

// WriteSVG draws the loss curve of rows to path (atomically) as a
// self-contained 800×480 SVG; see RenderSVG.
func WriteSVG(path string, rows []Row, title string) error {
	var buf bytes.Buffer
	if err := RenderSVG(&buf, rows, title); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
}

// RenderSVG writes the loss curve of rows to w: an 800×480 SVG with no
// scripts, no external fonts (the generic sans-serif family) and nothing
// loaded from outside. Training loss is a blue line, validation loss a red
// line with a dot at each step that has one; the legend gives each series'
// last value and its step, the title is drawn above the plot, the x axis is
// "step" and the y axis "loss", both with 1-2-5 tick values and grid lines.
//
// Rows whose losses are NaN or infinite are left out of that series (the line
// joins the neighbouring points). The y range runs from the smallest loss to
// the largest loss after the first 2% of the step range, so that the huge
// losses of the first steps do not flatten the rest of the curve into a line
// along the bottom: those early points are drawn above the plot's top and
// clipped, and the legend names the highest of them ("clipped: 1e+06 at step
// 0"). Early losses that would stretch the range by less than half again
// (below min + 1.5·(max − min)) are kept in it. (A logarithmic axis was
// the other choice; a clipped linear one keeps the late, small differences
// that matter when comparing runs readable and its ticks simple.)
//
// No rows, or no finite loss, gives the empty axes with "no data"; one point
// gets a range around it.
func RenderSVG(w io.Writer, rows []Row, title string) error {
	var b bytes.Buffer
	drawSVG(&b, rows, title)
	_, err := w.Write(b.Bytes())
	return err
}

// point is one drawn value.
type point struct {
	step int
	v    float64
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// series splits rows into the finite training and validation points.
func series(rows []Row) (train, val []point) {
	for _, r := range rows {
		if finite(r.TrainLoss) {
			train = append(train, point{r.Step, r.TrainLoss})
		}
		if finite(r.ValLoss) {
			val = append(val, point{r.Step, r.ValLoss})
		}
	}
	return train, val
}

// yRange is the loss range to show (before rounding to ticks). When early
// points lie above it, peak is the highest of them (clipped is true).
func yRange(train, val []point, xlo, xhi int) (lo, hi float64, peak point, clipped bool) {
	lo = math.Inf(1)
	tailMax := math.Inf(-1)
	cut := float64(xlo) + headFraction*float64(xhi-xlo)
	head := func(p point) bool { return xhi > xlo && (float64(p.step) < cut || p.step == xlo) }
	all := [][]point{train, val}
	for _, s := range all {
		for _, p := range s {
			lo = math.Min(lo, p.v)
			if !head(p) {
				tailMax = math.Max(tailMax, p.v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return 0, 1, point{}, false
	}
	// Early points are kept in the range when they stretch it by less than
	// half again; only those beyond are clipped. (A flat tail counts as
	// spanning 5% of its value, so a slightly higher first loss stays.)
	limit := math.Inf(1)
	if !math.IsInf(tailMax, -1) {
		limit = lo + 1.5*math.Max(tailMax-lo, 0.05*math.Abs(tailMax))
	}
	hi = math.Inf(-1)
	peak.v = math.Inf(-1)
	for _, s := range all {
		for _, p := range s {
			if !head(p) || p.v <= limit {
				hi = math.Max(hi, p.v)
			} else if p.v > peak.v {
				peak, clipped = p, true
			}
		}
	}
	return lo, hi, peak, clipped
}

// niceStep is a 1, 2 or 5 times a power of ten near span/target.
func niceStep(span float64, target int) float64 {
	if !(span > 0) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(target)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// ticks rounds [lo, hi] out to multiples of a nice step with about target
// intervals; it returns the new bounds and the step.
func ticks(lo, hi float64, target int) (tlo, thi, step float64) {
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi == lo {
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 1
		}
		lo, hi = lo-d, hi+d
	}
	step = niceStep(hi-lo, target)
	tlo = math.Floor(lo/step+1e-9) * step
	thi = math.Ceil(hi/step-1e-9) * step
	if thi <= tlo {
		thi = tlo + step
	}
	return tlo, thi, step
}

// tickLabel formats a tick value with as many decimals as step needs.
func tickLabel(v, step float64) string {
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	if math.Abs(v) < step*1e-6 {
		v = 0 // no "-0.0"
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// num formats a coordinate.
func num(v float64) string {
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// escape is s as XML character data.
func escape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// formatLoss is a loss value in the legend.
func formatLoss(v float64) string {
	return strconv.FormatFloat(v, 'f', 4, 64)
}

func drawSVG(b *bytes.Buffer, rows []Row, title string) {
	train, val := series(rows)

	// x range: the rows' steps (all of them, even those without a finite loss).
	xlo, xhi := 0, 0
	for i, r := range rows {
		if i == 0 || r.Step < xlo {
			xlo = r.Step
		}
		if i == 0 || r.Step > xhi {
			xhi = r.Step
		}
	}
	xmin, xmax, xstep := ticks(float64(xlo), float64(xhi), 8)
	if len(rows) == 0 {
		xmin, xmax, xstep = 0, 1, 0.2
	}
	if xstep < 1 { // steps are whole numbers
		xstep = 1
		xmin, xmax = math.Floor(xmin), math.Ceil(xmax)
		if xmax <= xmin {
			xmax = xmin + 1
		}
	}
	if len(rows) > 0 && xlo >= 0 && xmin < 0 { // one row at step 0: no negative steps
		xmin = 0
	}
	ylo, yhi, peak, clipped := yRange(train, val, xlo, xhi)
	if span := yhi - ylo; span > 0 { // keep the curve off the frame
		lo := ylo - yPad*span
		if ylo >= 0 && lo < 0 {
			lo = 0
		}
		ylo, yhi = lo, yhi+yPad*span
	}
	ymin, ymax, ystep := ticks(ylo, yhi, 6)

	px := func(step float64) float64 {
		return plotLeft + (step-xmin)/(xmax-xmin)*(plotRight-plotLeft)
	}
	py := func(v float64) float64 {
		y := plotBottom - (v-ymin)/(ymax-ymin)*(plotBottom-plotTop)
		// Far-off points (a clipped first loss) stay within numbers every
		// renderer handles; the clip path hides them.
		return math.Max(plotTop-1e5, math.Min(plotBottom+1e5, y))
	}

	fmt.Fprintf(b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">
`, svgWidth, svgHeight, svgWidth, svgHeight)
	fmt.Fprintf(b, "<title>%s</title>\n", escape(title))
	fmt.Fprintf(b, `<defs><clipPath id="plot"><rect x="%d" y="%d" width="%d" height="%d"/></clipPath></defs>
`, plotLeft-clipMargin, plotTop-clipMargin, plotRight-plotLeft+2*clipMargin, plotBottom-plotTop+2*clipMargin)
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="#ffffff"/>
`, svgWidth, svgHeight)
	fmt.Fprintf(b, `<text x="%d" y="26" text-anchor="middle" font-size="16" font-weight="bold" fill="#222222">%s</text>
`, (plotLeft+plotRight)/2, escape(title))

	// Grid and ticks.
	b.WriteString(`<g id="grid" stroke="#e0e0e0" stroke-width="1">` + "\n")
	for i := 0; ; i++ {
		v := xmin + float64(i)*xstep
		if v > xmax+xstep*1e-9 {
			break
		}
		x := num(px(v))
		fmt.Fprintf(b, `<line x1="%s" y1="%d" x2="%s" y2="%d"/>`+"\n", x, plotTop, x, plotBottom)
	}
	for i := 0; ; i++ {
		v := ymin + float64(i)*ystep
		if v > ymax+ystep*1e-9 {
			break
		}
		y := num(py(v))
		fmt.Fprintf(b, `<line x1="%d" y1="%s" x2="%d" y2="%s"/>`+"\n", plotLeft, y, plotRight, y)
	}
	b.WriteString("</g>\n")
	b.WriteString(`<g id="ticks" fill="#444444">` + "\n")
	for i := 0; ; i++ {
		v := xmin + float64(i)*xstep
		if v > xmax+xstep*1e-9 {
			break
		}
		fmt.Fprintf(b, `<text x="%s" y="%d" text-anchor="middle">%s</text>`+"\n", num(px(v)), plotBottom+18, tickLabel(v, xstep))
	}
	for i := 0; ; i++ {
		v := ymin + float64(i)*ystep
		if v > ymax+ystep*1e-9 {
			break
		}
		fmt.Fprintf(b, `<text x="%d" y="%s" text-anchor="end">%s</text>`+"\n", plotLeft-8, num(py(v)+4), tickLabel(v, ystep))
	}
	b.WriteString("</g>\n")

	// Axes and their names.
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888888" stroke-width="1"/>
`, plotLeft, plotTop, plotRight-plotLeft, plotBottom-plotTop)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" font-size="13" fill="#222222">step</text>
`, (plotLeft+plotRight)/2, svgHeight-14)
	fmt.Fprintf(b, `<text x="18" y="%d" text-anchor="middle" font-size="13" fill="#222222" transform="rotate(-90 18 %d)">loss</text>
`, (plotTop+plotBottom)/2, (plotTop+plotBottom)/2)

	// The series.
	b.WriteString(`<g clip-path="url(#plot)">` + "\n")
	polyline := func(id, color string, pts []point, width string) {
		if len(pts) < 2 {
			return
		}
		fmt.Fprintf(b, `<polyline id="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round" points="`, id, color, width)
		for i, p := range pts {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(num(px(float64(p.step))))
			b.WriteByte(',')
			b.WriteString(num(py(p.v)))
		}
		b.WriteString(`"/>` + "\n")
	}
	polyline("train", trainColor, train, "1.5")
	if len(train) == 1 {
		p := train[0]
		fmt.Fprintf(b, `<circle id="train" cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", num(px(float64(p.step))), num(py(p.v)), trainColor)
	}
	polyline("val", valColor, val, "1.5")
	if len(val) > 0 {
		b.WriteString(`<g id="val-points" fill="` + valColor + `">` + "\n")
		for _, p := range val {
			fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="3"/>`+"\n", num(px(float64(p.step))), num(py(p.v)))
		}
		b.WriteString("</g>\n")
	}
	b.WriteString("</g>\n")

	if len(train) == 0 && len(val) == 0 {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" font-size="16" fill="#888888">no data</text>
`, (plotLeft+plotRight)/2, (plotTop+plotBottom)/2)
	}

	// Legend, top right inside the plot (a loss curve falls from the top left).
	last := func(pts []point) string {
		if len(pts) == 0 {
			return "no data"
		}
		p := pts[len(pts)-1]
		return formatLoss(p.v) + " (step " + strconv.Itoa(p.step) + ")"
	}
	legend := []struct{ name, color, text string }{
		{"train", trainColor, "train " + last(train)},
		{"val", valColor, "val " + last(val)},
	}
	if clipped {
		legend = append(legend, struct{ name, color, text string }{"clipped", "#888888",
			"clipped: " + strconv.FormatFloat(peak.v, 'g', 4, 64) + " at step " + strconv.Itoa(peak.step)})
	}
	const lw = 232
	lh := 10 + 18*len(legend)
	lx, ly := plotRight-lw-8, plotTop+8
	fmt.Fprintf(b, `<g id="legend"><rect x="%d" y="%d" width="%d" height="%d" fill="#ffffff" fill-opacity="0.9" stroke="#bbbbbb"/>
`, lx, ly, lw, lh)
	for i, e := range legend {
		y := ly + 15 + 18*i
		if e.name == "clipped" { // an arrow pointing up out of the plot
			fmt.Fprintf(b, `<path d="M%d %dl-5 7h10z" fill="%s"/>`, lx+22, y-5, e.color)
		} else {
			fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`, lx+10, y, lx+34, y, e.color)
		}
		if e.name == "val" {
			fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="3" fill="%s"/>`, lx+22, y, e.color)
		}
		fmt.Fprintf(b, `<text x="%d" y="%d" fill="#222222">%s</text>`+"\n", lx+42, y+4, escape(e.text))
	}
	b.WriteString("</g>\n</svg>\n")
}

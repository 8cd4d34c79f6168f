package ui

import (
	"fmt"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"nibble/ui/state"
)

// levelChart draws the levels of "Make it fit" as a picture: file size
// across, quality up (how often the level picks the original's next word),
// one dot per level with its name, the recommended one large and in the
// primary color, and this computer's memory as a vertical line: levels
// left of it run well. It redraws at any size.
type levelChart struct {
	widget.BaseWidget
	data state.Chart
}

func newLevelChart() *levelChart {
	c := &levelChart{}
	c.ExtendBaseWidget(c)
	return c
}

// set shows d. Call it on Fyne's goroutine.
func (c *levelChart) set(d state.Chart) {
	c.data = d
	c.Refresh()
}

func (c *levelChart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c}
	r.build()
	return r
}

// chartRenderer holds the chart's canvas objects, made again when the data
// changes (build) and placed for the current size (Layout).
type chartRenderer struct {
	c       *levelChart
	xAxis   *canvas.Line
	yAxis   *canvas.Line
	xTitle  *canvas.Text
	yTitle  *canvas.Text
	xTicks  []*canvas.Text
	yTicks  []*canvas.Text
	grid    []*canvas.Line
	dots    []*canvas.Circle
	names   []*canvas.Text
	memLine *canvas.Line
	memText *canvas.Text
	objects []fyne.CanvasObject
}

// Margins around the plot, for the tick labels and titles.
const (
	chartLeft   = 48
	chartBottom = 40
	chartTop    = 24
	chartRight  = 16
)

// yRange is the qualities shown, in percent: from below the lowest level's,
// at a multiple of 5, to 100.
func (r *chartRenderer) yRange() (lo, hi float64) {
	lo = 100
	for _, p := range r.c.data.Points {
		lo = min(lo, p.SameTop*100)
	}
	return math.Max(0, math.Floor((lo-1)/5)*5), 100
}

// xMax is the largest file size shown (the axis starts at 0): a little over
// the largest file's, or over this
// computer's memory when it is near enough to draw without squashing the
// dots (within 1.5 times the largest file).
func (r *chartRenderer) xMax() float64 {
	hi := 0.0
	for _, p := range r.c.data.Points {
		hi = math.Max(hi, float64(p.FileBytes))
	}
	if m := float64(r.c.data.MemoryFile); r.c.data.MemoryKnown && m <= 1.5*hi {
		hi = math.Max(hi, m)
	}
	return math.Max(hi*1.08, 1)
}

func (r *chartRenderer) build() {
	fg := theme.Color(theme.ColorNameForeground)
	faint := theme.Color(theme.ColorNameSeparator)
	small := theme.CaptionTextSize()
	text := func(s string, c color.Color) *canvas.Text {
		t := canvas.NewText(s, c)
		t.TextSize = small
		return t
	}
	r.xAxis, r.yAxis = canvas.NewLine(fg), canvas.NewLine(fg)
	r.xTitle = text("File size →", fg)
	r.yTitle = text("↑ Picks the original's next word", fg)
	r.objects = []fyne.CanvasObject{r.xAxis, r.yAxis, r.xTitle, r.yTitle}
	r.xTicks, r.yTicks, r.grid = nil, nil, nil
	lo, hi := r.yRange()
	for _, v := range []float64{lo, (lo + hi) / 2, hi} {
		t := text(fmt.Sprintf("%.0f%%", v), fg)
		t.Alignment = fyne.TextAlignTrailing
		g := canvas.NewLine(faint)
		r.yTicks, r.grid = append(r.yTicks, t), append(r.grid, g)
		r.objects = append(r.objects, g, t)
	}
	xmax := r.xMax()
	for _, v := range []float64{0, xmax / 2, xmax} {
		t := text(state.Bytes(uint64(v)), fg)
		t.Alignment = fyne.TextAlignCenter
		r.xTicks = append(r.xTicks, t)
		r.objects = append(r.objects, t)
	}
	r.memLine, r.memText = nil, nil
	if r.c.data.MemoryKnown {
		warn := theme.Color(theme.ColorNameWarning)
		r.memLine = canvas.NewLine(warn)
		r.memLine.StrokeWidth = 2
		label := "your memory"
		if float64(r.c.data.MemoryFile) > xmax {
			label = "your memory (" + state.Bytes(r.c.data.MemoryFile) + ") →"
		}
		r.memText = text(label, warn)
		r.objects = append(r.objects, r.memLine, r.memText)
	}
	r.dots, r.names = nil, nil
	primary, disabled := theme.Color(theme.ColorNamePrimary), theme.Color(theme.ColorNameDisabled)
	for _, p := range r.c.data.Points {
		d := canvas.NewCircle(fg)
		n := text(p.Name, fg)
		switch {
		case p.Recommended:
			d.FillColor, n.Color = primary, primary
			n.TextStyle.Bold = true
		case !p.Offered:
			d.FillColor, n.Color = disabled, disabled
		}
		if p.Selected && !p.Recommended {
			d.StrokeColor, d.StrokeWidth = primary, 3
		}
		r.dots, r.names = append(r.dots, d), append(r.names, n)
	}
	// Dots before names so no dot hides a name; the recommended level's
	// last, on top.
	for i, p := range r.c.data.Points {
		if !p.Recommended {
			r.objects = append(r.objects, r.dots[i])
		}
	}
	for i, p := range r.c.data.Points {
		if p.Recommended {
			r.objects = append(r.objects, r.dots[i])
		}
	}
	for _, n := range r.names {
		r.objects = append(r.objects, n)
	}
}

func (r *chartRenderer) Layout(size fyne.Size) {
	left, top := float32(chartLeft), float32(chartTop)
	w := max(size.Width-chartLeft-chartRight, 1)
	h := max(size.Height-chartTop-chartBottom, 1)
	bottom := top + h
	lo, hi := r.yRange()
	xmax := r.xMax()
	x := func(b float64) float32 { return left + w*float32(b/xmax) }
	y := func(pct float64) float32 { return bottom - h*float32((pct-lo)/(hi-lo)) }

	r.xAxis.Position1, r.xAxis.Position2 = fyne.NewPos(left, bottom), fyne.NewPos(left+w, bottom)
	r.yAxis.Position1, r.yAxis.Position2 = fyne.NewPos(left, top), fyne.NewPos(left, bottom)
	for i, v := range []float64{lo, (lo + hi) / 2, hi} {
		t := r.yTicks[i]
		ts := t.MinSize()
		t.Move(fyne.NewPos(left-ts.Width-6, y(v)-ts.Height/2))
		t.Resize(ts)
		r.grid[i].Position1, r.grid[i].Position2 = fyne.NewPos(left, y(v)), fyne.NewPos(left+w, y(v))
	}
	for i, v := range []float64{0, xmax / 2, xmax} {
		t := r.xTicks[i]
		ts := t.MinSize()
		pos := min(max(x(v)-ts.Width/2, 0), size.Width-ts.Width)
		t.Move(fyne.NewPos(pos, bottom+4))
		t.Resize(ts)
	}
	xs := r.xTitle.MinSize()
	r.xTitle.Move(fyne.NewPos(left+w-xs.Width, bottom+4+xs.Height))
	r.xTitle.Resize(xs)
	ys := r.yTitle.MinSize()
	r.yTitle.Move(fyne.NewPos(left, top-ys.Height-4))
	r.yTitle.Resize(ys)

	// The texts placed, as top-left corners with their sizes, which names
	// must not cover.
	taken, sizes := []fyne.Position{r.yTitle.Position()}, []fyne.Size{ys}
	if r.memLine != nil {
		mx := min(x(float64(r.c.data.MemoryFile)), left+w)
		r.memLine.Position1, r.memLine.Position2 = fyne.NewPos(mx, top), fyne.NewPos(mx, bottom)
		ms := r.memText.MinSize()
		r.memText.Move(fyne.NewPos(min(max(mx-ms.Width-4, left+ys.Width+8), size.Width-ms.Width), top-ms.Height-4))
		r.memText.Resize(ms)
		taken, sizes = append(taken, r.memText.Position()), append(sizes, ms)
	}
	// Place the recommended name first, then the offered levels', then the
	// others': each beside its dot where it overlaps no name placed, else
	// hidden (the list beside the chart names every level).
	order := make([]int, 0, len(r.dots))
	for pass := 0; pass < 3; pass++ {
		for i, p := range r.c.data.Points {
			if (pass == 0) == p.Recommended && (pass == 0 || (pass == 1) == p.Offered) {
				order = append(order, i)
			}
		}
	}
	for _, i := range order {
		p := r.c.data.Points[i]
		radius := float32(4)
		if p.Recommended {
			radius = 7
		}
		cx, cy := x(float64(p.FileBytes)), y(p.SameTop*100)
		r.dots[i].Move(fyne.NewPos(cx-radius, cy-radius))
		r.dots[i].Resize(fyne.NewSize(2*radius, 2*radius))
		n := r.names[i]
		ns := n.MinSize()
		n.Resize(ns)
		n.Hide()
		for _, pos := range []fyne.Position{
			fyne.NewPos(cx+radius+2, cy-ns.Height/2),          // right
			fyne.NewPos(cx-radius-2-ns.Width, cy-ns.Height/2), // left
			fyne.NewPos(cx-ns.Width/2, cy-radius-ns.Height),   // above
			fyne.NewPos(cx-ns.Width/2, cy+radius),             // below
		} {
			inside := pos.X >= 0 && pos.X+ns.Width <= size.Width && pos.Y >= 0 && pos.Y+ns.Height <= size.Height
			if inside && !overlaps(pos, ns, taken, sizes) {
				n.Move(pos)
				n.Show()
				taken, sizes = append(taken, pos), append(sizes, ns)
				break
			}
		}
	}
}

// overlaps tells whether the box at pos of size s meets any of the boxes
// at taken with sizes.
func overlaps(pos fyne.Position, s fyne.Size, taken []fyne.Position, sizes []fyne.Size) bool {
	for i, t := range taken {
		if pos.X < t.X+sizes[i].Width && t.X < pos.X+s.Width && pos.Y < t.Y+sizes[i].Height && t.Y < pos.Y+s.Height {
			return true
		}
	}
	return false
}

func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(280, 200) }

func (r *chartRenderer) Refresh() {
	r.build()
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *chartRenderer) Destroy() {}

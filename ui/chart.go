package ui

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"nibble/ui/state"
)

// levelChart draws the levels of "Make it fit" as a picture: file size
// across, quality up (how often the level picks the original's next word),
// one dot per level with its name, the recommended one large and in the
// primary color, filled for levels whose quality was measured on this
// model and hollow for the general estimates (a legend says so), and this
// computer's memory as a vertical line: levels left of it run well. It
// redraws at any size.
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
	// legend: a filled dot and a hollow one, each with what it means.
	legendDots  [2]*canvas.Circle
	legendTexts [2]*canvas.Text
	objects     []fyne.CanvasObject
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
	bg := theme.Color(theme.ColorNameBackground)
	for i, measured := range []bool{true, false} {
		r.legendDots[i] = canvas.NewCircle(fg)
		markDot(r.legendDots[i], fg, bg, measured)
		r.legendTexts[i] = text([]string{"measured on this model", "estimate"}[i], fg)
		r.objects = append(r.objects, r.legendDots[i], r.legendTexts[i])
	}
	r.dots, r.names = nil, nil
	// Levels that cannot be made in grey, but readable: the theme's
	// disabled color is too faint for text.
	primary, disabled := theme.Color(theme.ColorNamePrimary), theme.Color(theme.ColorNamePlaceHolder)
	for _, p := range r.c.data.Points {
		d := canvas.NewCircle(fg)
		n := text(p.Name, fg)
		color := fg
		switch {
		case p.Recommended:
			color, n.Color = primary, primary
			n.TextStyle.Bold = true
		case !p.Offered:
			color, n.Color = disabled, disabled
		}
		markDot(d, color, bg, p.Measured)
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

	// The legend on the line of the x axis' title, from the left edge.
	lx := float32(0)
	for i, d := range r.legendDots {
		t := r.legendTexts[i]
		ts := t.MinSize()
		d.Resize(fyne.NewSize(8, 8))
		d.Move(fyne.NewPos(lx+1, bottom+4+xs.Height+(ts.Height-8)/2))
		t.Move(fyne.NewPos(lx+13, bottom+4+xs.Height))
		t.Resize(ts)
		lx += 13 + ts.Width + 12
	}

	// What names must not cover: the titles, tick labels and legend, and
	// every dot.
	var taken []rect
	for _, t := range append([]*canvas.Text{r.xTitle, r.yTitle, r.legendTexts[0], r.legendTexts[1]}, append(r.xTicks, r.yTicks...)...) {
		taken = append(taken, rect{t.Position(), t.Size()})
	}
	if r.memLine != nil {
		mx := min(x(float64(r.c.data.MemoryFile)), left+w)
		r.memLine.Position1, r.memLine.Position2 = fyne.NewPos(mx, top), fyne.NewPos(mx, bottom)
		ms := r.memText.MinSize()
		r.memText.Move(fyne.NewPos(min(max(mx-ms.Width-4, left+ys.Width+8), size.Width-ms.Width), top-ms.Height-4))
		r.memText.Resize(ms)
		taken = append(taken, rect{r.memText.Position(), ms})
	}
	centers := make([]fyne.Position, len(r.dots))
	for i, p := range r.c.data.Points {
		rad := dotRadius(p)
		centers[i] = fyne.NewPos(x(float64(p.FileBytes)), y(p.SameTop*100))
		r.dots[i].Move(centers[i].SubtractXY(rad, rad))
		r.dots[i].Resize(fyne.NewSize(2*rad, 2*rad))
		taken = append(taken, rect{r.dots[i].Position(), r.dots[i].Size()})
	}
	for _, n := range r.names {
		n.Hide()
	}
	bounds := rect{fyne.NewPos(0, 0), size}
	for _, g := range nameGroups(r.c.data.Points, centers) {
		n := r.names[g.leader]
		n.Text = g.text
		ns := n.MinSize()
		n.Resize(ns)
		if pos, ok := placeName(centers[g.leader], g.radius, ns, bounds, taken); ok {
			n.Move(pos)
			n.Show()
			taken = append(taken, rect{pos, ns})
		}
	}
}

// markDot colors dot d: filled with c for a level measured on this model,
// hollow (a ring of c around the background bg) for an estimate.
func markDot(d *canvas.Circle, c, bg color.Color, measured bool) {
	if measured {
		d.FillColor, d.StrokeWidth = c, 0
		return
	}
	d.FillColor, d.StrokeColor, d.StrokeWidth = bg, c, 1.5
}

// dotRadius is the radius a level's dot is drawn with, its outline
// included: the recommended level's is larger, the selected one's ringed.
func dotRadius(p state.ChartPoint) float32 {
	switch {
	case p.Recommended:
		return 7
	case p.Selected:
		return 6
	}
	return 4
}

// rect is a box on the chart.
type rect struct {
	pos  fyne.Position
	size fyne.Size
}

func (a rect) intersects(b rect) bool {
	return a.pos.X < b.pos.X+b.size.Width && b.pos.X < a.pos.X+a.size.Width &&
		a.pos.Y < b.pos.Y+b.size.Height && b.pos.Y < a.pos.Y+a.size.Height
}

func (a rect) contains(b rect) bool {
	return b.pos.X >= a.pos.X && b.pos.Y >= a.pos.Y &&
		b.pos.X+b.size.Width <= a.pos.X+a.size.Width && b.pos.Y+b.size.Height <= a.pos.Y+a.size.Height
}

// nameGroup is the levels drawn at one point, named together ("BF16,
// F16") by the name of the leader.
type nameGroup struct {
	leader int
	text   string
	radius float32 // the largest of their dots
}

// nameGroups gathers the levels whose dots are at the same place (within
// a pixel), in the order their names are placed: the recommended level's
// first, then the selected one's, the others that can be made, and the
// rest, so that when space runs out the names left out are the ones that
// matter least. The leader is the level that comes first in that order.
func nameGroups(points []state.ChartPoint, centers []fyne.Position) []nameGroup {
	rank := func(p state.ChartPoint) int {
		switch {
		case p.Recommended:
			return 0
		case p.Selected:
			return 1
		case p.Offered:
			return 2
		}
		return 3
	}
	order := make([]int, len(points))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return rank(points[a]) - rank(points[b]) })
	var groups []nameGroup
	member := make([]int, len(points)) // the group of each point, +1
	for _, i := range order {
		c := centers[i]
		for j := range points {
			d := centers[j]
			if member[j] != 0 && abs32(c.X-d.X) < 1 && abs32(c.Y-d.Y) < 1 {
				member[i] = member[j]
				break
			}
		}
		if member[i] == 0 {
			groups = append(groups, nameGroup{leader: i})
			member[i] = len(groups)
		}
		g := &groups[member[i]-1]
		g.radius = max(g.radius, dotRadius(points[i]))
	}
	// The names of a group in the order the levels come (largest file
	// first), as the list beside the chart has them.
	for i, p := range points {
		g := &groups[member[i]-1]
		if g.text != "" {
			g.text += ", "
		}
		g.text += p.Name
	}
	return groups
}

func abs32(f float32) float32 { return max(f, -f) }

// placeName finds where a name of size s goes beside the dot of radius at
// c: right of it, else left, above, below, or at a corner, the first place
// inside bounds that meets nothing taken; false if there is none.
func placeName(c fyne.Position, radius float32, s fyne.Size, bounds rect, taken []rect) (fyne.Position, bool) {
	gap := radius + 2
	for _, pos := range []fyne.Position{
		fyne.NewPos(c.X+gap, c.Y-s.Height/2),               // right
		fyne.NewPos(c.X-gap-s.Width, c.Y-s.Height/2),       // left
		fyne.NewPos(c.X-s.Width/2, c.Y-gap-s.Height),       // above
		fyne.NewPos(c.X-s.Width/2, c.Y+gap),                // below
		fyne.NewPos(c.X+gap/2, c.Y-gap/2-s.Height),         // above right
		fyne.NewPos(c.X+gap/2, c.Y+gap/2),                  // below right
		fyne.NewPos(c.X-gap/2-s.Width, c.Y-gap/2-s.Height), // above left
		fyne.NewPos(c.X-gap/2-s.Width, c.Y+gap/2),          // below left
	} {
		box := rect{pos, s}
		if bounds.contains(box) && !slices.ContainsFunc(taken, box.intersects) {
			return pos, true
		}
	}
	return fyne.Position{}, false
}

func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(280, 200) }

func (r *chartRenderer) Refresh() {
	r.build()
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *chartRenderer) Destroy() {}

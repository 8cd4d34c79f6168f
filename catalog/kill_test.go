package catalog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"nibble/engine/gguf"
)

// killRounds is how many times TestKillDuringWrites kills a writer.
const killRounds = 30

// TestKillDuringWrites runs a child process that imports (copy, move, link),
// removes, hashes and chats in a loop, kills it with SIGKILL at a random
// moment, reopens the catalog, runs bbolt's consistency check and Reconcile
// and checks that every entry points at a complete file: killRounds times.
func TestKillDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process many times")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is a Unix signal")
	}
	dir := t.TempDir()
	for i := range 4 {
		m := tinyLlama
		m.name = fmt.Sprintf("Model %d", i%2)
		m.fileType = []int{1, 15, 7, 2}[i]
		m.elems = (1 + i) << 19 // 2 to 8 MiB: a copy takes a while
		m.seed = uint64(i)
		writeModel(t, filepath.Join(dir, "src", fmt.Sprintf("m%d.gguf", i)), m)
	}
	closeTest(t, openTest(t, dir))

	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	killedIn := map[string]int{}
	var ops, orphans, partials, entries, unhashed int
	for round := range killRounds {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), childEnv+"=writer "+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() || lines.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: the child did not start: %q", round, lines.Text())
		}
		var mu sync.Mutex
		current, done := "", 0
		var read sync.WaitGroup
		read.Add(1)
		go func() {
			defer read.Done()
			for lines.Scan() {
				what, op, _ := strings.Cut(lines.Text(), " ")
				mu.Lock()
				if what == "begin" {
					current = op
				} else {
					current = ""
					done++
				}
				mu.Unlock()
			}
			io.Copy(io.Discard, out)
		}()
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		mu.Lock()
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		killed := current
		mu.Unlock()
		read.Wait()
		cmd.Wait()
		if killed == "" {
			killed = "between operations"
		}
		killedIn[killed]++
		ops += done

		c, err := Open(Options{Dir: dir})
		if err != nil {
			t.Fatalf("round %d (killed during %s): reopen: %v", round, killed, err)
		}
		checkDB(t, c.db)
		r, err := c.Reconcile()
		if err != nil {
			t.Fatalf("round %d: Reconcile: %v", round, err)
		}
		partials += len(r.Removed)
		orphans += len(r.Orphans)
		for _, v := range r.Missing {
			t.Errorf("round %d (killed during %s): %s points at a missing file", round, killed, v.Path)
		}
		es, err := c.List()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			for _, v := range e.Variants {
				entries++
				if v.SHA256 == "" {
					unhashed++
				}
				if err := checkFile(t, v); err != nil {
					t.Errorf("round %d (killed during %s): %s: %v", round, killed, e.Model.Ref(v), err)
				}
			}
		}
		chats, err := c.Chats()
		for _, ch := range chats {
			if err == nil {
				_, _, err = c.Chat(ch.ID)
			}
		}
		if err != nil {
			t.Errorf("round %d: chats: %v", round, err)
		}
		modelsDir, _ := c.ModelsDir()
		if left, _ := filepath.Glob(filepath.Join(modelsDir, ".*")); len(left) > 0 {
			t.Errorf("round %d: temporary files after Reconcile: %v", round, left)
		}
		for _, o := range r.Orphans { // complete files: the next round need not see them again
			os.Remove(o)
		}
		closeTest(t, c)
	}
	var where []string
	for k, n := range killedIn {
		where = append(where, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(where)
	t.Logf("%d kills (during: %s); %d operations completed; after the kills: %d entries checked (%d not hashed yet), %d orphaned files found, %d partial copies removed",
		killRounds, strings.Join(where, ", "), ops, entries, unhashed, orphans, partials)
}

// checkFile returns why variant v's file is not the complete file its entry
// describes, or nil.
func checkFile(t *testing.T, v Variant) error {
	st, err := os.Stat(v.Path)
	if err != nil {
		return err
	}
	if st.Size() != v.Size {
		return fmt.Errorf("%d bytes, the entry says %d", st.Size(), v.Size)
	}
	f, err := gguf.Open(v.Path)
	if err != nil {
		return err
	}
	f.Close()
	if v.SHA256 != "" && fileHash(t, v.Path) != v.SHA256 {
		return errors.New("its hash differs from the entry's")
	}
	return nil
}

// writerChild is TestKillDuringWrites' child: it changes the catalog in dir
// in a loop, printing "begin OP" and "end OP" around each change, until it
// is killed (or after a minute, should its parent be gone).
func writerChild(dir string) int {
	c, err := Open(Options{Dir: dir, LockTimeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sources, _ := filepath.Glob(filepath.Join(dir, "src", "*.gguf"))
	staging := filepath.Join(dir, "staging")
	os.MkdirAll(staging, 0o755)
	fmt.Println("ready")
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	ctx := context.Background()
	fail := func(op string, err error) {
		if err != nil && !errors.Is(err, ErrExists) {
			fmt.Fprintf(os.Stderr, "writer child: %s: %v\n", op, err)
			os.Exit(1)
		}
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		es, err := c.List()
		fail("list", err)
		var ids []uint64
		for _, e := range es {
			for _, v := range e.Variants {
				ids = append(ids, v.ID)
			}
		}
		op := []string{"copy", "copy", "move", "link", "remove", "chat"}[rng.IntN(6)]
		if len(ids) > 12 {
			op = "remove"
		}
		src := sources[rng.IntN(len(sources))]
		fmt.Println("begin", op)
		switch op {
		case "copy", "link":
			mode := map[string]ImportMode{"copy": Copy, "link": Link}[op]
			im, err := c.Import(ctx, src, ImportOptions{Mode: mode})
			fail(op, err)
			if im != nil {
				_, err = im.Wait()
				fail(op+" hash", err)
			}
		case "move":
			// The user's file to move: written without care, imported
			// once complete.
			staged := filepath.Join(staging, fmt.Sprintf("%d-%d.gguf", os.Getpid(), rng.Uint64()))
			data, err := os.ReadFile(src)
			fail(op, err)
			fail(op, os.WriteFile(staged, data, 0o644))
			im, err := c.Import(ctx, staged, ImportOptions{Mode: Move})
			fail(op, err)
			_, err = im.Wait()
			fail(op+" hash", err)
		case "remove":
			if len(ids) > 0 {
				_, err := c.Remove([]uint64{ids[rng.IntN(len(ids))]}, false)
				fail(op, err)
			}
		case "chat":
			ch, err := c.NewChat(Chat{Title: "kill test"})
			fail(op, err)
			_, err = c.AddMessage(ch.ID, Message{Role: "user", Content: strings.Repeat("words ", 500)})
			fail(op, err)
			fail(op, c.SetSetting("last", ch.Title))
			if len(ids) > 0 {
				_, err = c.SetSpeed(ids[0], Speed{TokensPerSecond: rng.Float64() * 100})
				fail(op, err)
			}
		}
		fmt.Println("end", op)
	}
	return 0
}

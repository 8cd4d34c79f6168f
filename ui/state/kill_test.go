package state

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"nibble/app/service"
	"nibble/catalog"
	"nibble/engine/refdata"
)

// killChild, set in the environment to a catalog folder, makes the test
// binary the chatting child of TestKillDuringChat.
const killChild = "NIBBLE_TEST_CHAT_KILL_CHILD"

// TestKillDuringChat kills a child process that chats in a loop (the Chat
// screen's state over a real model) at random moments, as a user killing
// the app would, then checks the catalog: bbolt's consistency check passes
// and every chat holds its user messages in order, none lost — each
// message the child had sent, and each answer it saw complete, is there.
func TestKillDuringChat(t *testing.T) {
	if dir := os.Getenv(killChild); dir != "" {
		chatUntilKilled(dir)
		return
	}
	if testing.Short() {
		t.Skip("kills a child process several times")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is a Unix signal")
	}
	dir := t.TempDir()
	cat, err := catalog.Open(catalog.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Import(context.Background(), refdata.Path(t, "models/ts5m-Q8_0.gguf"), catalog.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	cat.Close()

	rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	const rounds = 6
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringChat$")
		cmd.Env = append(os.Environ(), killChild+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The child prints "sent N" once message N is saved and "answered N"
		// once its answer is complete; it is killed at a random moment after
		// its first message.
		sent, answered := -1, -1
		lines := bufio.NewScanner(out)
		killAt := time.Duration(50+rng.IntN(1500)) * time.Millisecond
		var timer *time.Timer
		for lines.Scan() {
			what, n, _ := strings.Cut(lines.Text(), " ")
			i, _ := strconv.Atoi(n)
			switch what {
			case "sent":
				sent = i
				if timer == nil {
					timer = time.AfterFunc(killAt, func() { cmd.Process.Kill() })
				}
			case "answered":
				answered = i
			}
		}
		cmd.Wait()
		if timer == nil {
			t.Fatalf("round %d: the child sent nothing", round)
		}
		checkBolt(t, filepath.Join(dir, catalog.FileName))
		cat, err := catalog.Open(catalog.Options{Dir: dir})
		if err != nil {
			t.Fatalf("round %d: the catalog does not open after the kill: %v", round, err)
		}
		chats, err := cat.Chats()
		if err != nil || len(chats) != round+1 {
			t.Fatalf("round %d: %d chats (%v), want %d", round, len(chats), err, round+1)
		}
		_, msgs, err := cat.Chat(chats[0].ID) // this round's: the most recent
		cat.Close()
		if err != nil {
			t.Fatal(err)
		}
		users, answers := 0, 0
		for _, m := range msgs {
			switch m.Role {
			case "user":
				if want := fmt.Sprintf("message %d", users); m.Content != want {
					t.Fatalf("round %d: user message %q, want %q", round, m.Content, want)
				}
				users++
			case "assistant":
				answers++
			}
		}
		if users < sent+1 || users > sent+2 || answers < answered+1 {
			t.Fatalf("round %d: the child sent %d messages and saw %d answers complete; the catalog has %d and %d",
				round, sent+1, answered+1, users, answers)
		}
		t.Logf("round %d: killed after %v: %d messages, %d answers saved", round, killAt, users, answers)
	}
}

// chatUntilKilled is the child: it opens the catalog in dir, starts a chat
// with its model and sends messages with short answers until it is killed.
func chatUntilKilled(dir string) {
	cat, err := catalog.Open(catalog.Options{Dir: dir, LockTimeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	entries, err := cat.List()
	if err != nil || len(entries) != 1 {
		fmt.Fprintln(os.Stderr, "child: the catalog has no model:", err)
		os.Exit(1)
	}
	c := NewChat(service.New(cat, nil))
	changes := make(chan struct{}, 1)
	c.Listen(func() {
		select {
		case changes <- struct{}{}:
		default:
		}
	})
	c.Start(entries[0].Model, entries[0].Variants[0])
	wait := func(cond func(ChatView) bool) {
		for v := c.View(); !cond(v); v = c.View() {
			if v.Problem != "" {
				fmt.Fprintln(os.Stderr, "child:", v.Problem, v.Next)
				os.Exit(1)
			}
			select {
			case <-changes:
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	wait(func(v ChatView) bool { return v.CanSend() })
	v := c.View()
	g := v.Settings
	g.MaxTokens = 24
	c.SetSettings(v.System, g)
	for i := 0; ; i++ {
		wait(func(v ChatView) bool { return v.CanSend() })
		if !c.Send(fmt.Sprintf("message %d", i)) {
			fmt.Fprintln(os.Stderr, "child: Send refused")
			os.Exit(1)
		}
		fmt.Println("sent", i)
		wait(func(v ChatView) bool { return !v.Writing })
		fmt.Println("answered", i)
	}
}

// checkBolt runs bbolt's consistency check on the database at path.
func checkBolt(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("bbolt cannot open the catalog: %v", err)
	}
	defer db.Close()
	if err := db.View(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() { // read to the end: Check's goroutine sends them all
			if first == nil {
				first = err
			}
		}
		return first
	}); err != nil {
		t.Fatalf("bbolt's consistency check: %v", err)
	}
}

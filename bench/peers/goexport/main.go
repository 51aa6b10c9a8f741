// goexport: the peer in segexport's benchmark — a segment exporter written the obvious way in
// Go, as a competent engineer would in an afternoon: a franz-go consumer group, hamba/avro with
// the writer schema from the registry, crypto/sha256, net/http to Meta's Custom Audiences edge,
// 10,000-row batches, and offsets committed only after Meta acknowledged every row of them.
//
// Order per profile: a row whose profile is pending in the same audience with the opposite op
// flushes everything first, so an ENTER and a later EXIT are never in flight together.
// It normalizes only what the benchmark workload needs (trimmed lowercase e-mail, digits of an
// E.164 phone): it is a yardstick for throughput and cost, not a product.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
)

type event struct {
	ProfileID string  `avro:"profile_id"`
	SegmentID string  `avro:"segment_id"`
	Op        string  `avro:"op"`
	Email     *string `avro:"email"`
	Phone     *string `avro:"phone"`
}

type opts struct {
	brokers, topic, group, registry, meta, token, version string
	audiences                                             map[string]string
	batch, inflight                                       int
	linger                                                time.Duration
	consumeOnly                                           bool // the baseline: consume, commit
}

// schemas caches writer schemas by Confluent id, fetched from the registry.
type schemas struct {
	url  string
	byID map[uint32]avro.Schema
}

func (s *schemas) get(id uint32) (avro.Schema, error) {
	if sc, ok := s.byID[id]; ok {
		return sc, nil
	}
	resp, err := http.Get(fmt.Sprintf("%s/schemas/ids/%d", s.url, id))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Schema string `json:"schema"`
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("registry: schema %d: HTTP %d", id, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	sc, err := avro.Parse(body.Schema)
	if err != nil {
		return nil, err
	}
	s.byID[id] = sc
	return sc, nil
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// row turns an event into Meta's [EMAIL, PHONE] cells; ok is false when it has neither.
func row(ev *event) (cells [2]string, ok bool) {
	if ev.Email != nil {
		if e := strings.ToLower(strings.TrimSpace(*ev.Email)); e != "" {
			cells[0] = hashHex(e)
		}
	}
	if ev.Phone != nil {
		var b strings.Builder
		for _, c := range *ev.Phone {
			if c >= '0' && c <= '9' {
				b.WriteRune(c)
			}
		}
		if b.Len() > 0 {
			cells[1] = hashHex(b.String())
		}
	}
	return cells, cells[0] != "" || cells[1] != ""
}

type batchKey struct {
	audience string
	enter    bool
}

type exporter struct {
	o       opts
	cl      *kgo.Client
	http    *http.Client
	sch     *schemas
	batches map[batchKey][][2]string
	pending map[batchKey]map[string]bool // profiles in each open batch
	nrows   int
	marks   map[string]map[int32]*kgo.Record // last processed record per partition
	oldest  time.Time
}

// maxURL: removals carry their parameters in the query string, as the official SDK sends a
// DELETE (facebook_business/api.py); Meta documents no URL limit, so RFC 9110's 8000 octets.
const maxURL = 8000

// send posts one batch to Meta (a removal: DELETE with the parameters in the query string, cut
// in halves until its URL fits), retrying throttling, 5xx and transport errors.
func (x *exporter) send(k batchKey, rows [][2]string) error {
	data, _ := json.Marshal(map[string]any{"schema": []string{"EMAIL", "PHONE"},
		"is_raw": true, "data": rows})
	form := url.Values{"payload": {string(data)}, "access_token": {x.o.token}}.Encode()
	method := "POST"
	u := fmt.Sprintf("%s/%s/%s/users", x.o.meta, x.o.version, k.audience)
	var body io.Reader
	if k.enter {
		body = strings.NewReader(form)
	} else {
		method = "DELETE"
		u += "?" + form
		if len(u) > maxURL && len(rows) > 1 {
			if err := x.send(k, rows[:len(rows)/2]); err != nil {
				return err
			}
			return x.send(k, rows[len(rows)/2:])
		}
	}
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		if k.enter {
			body = strings.NewReader(form)
		}
		req, _ := http.NewRequest(method, u, body)
		if k.enter {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := x.http.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
			retriable := resp.StatusCode >= 500 || resp.StatusCode == 429 ||
				strings.Contains(string(body), `"code":80003`) ||
				strings.Contains(string(body), `"code":17`) ||
				strings.Contains(string(body), `"code":4,`)
			if !retriable {
				return fmt.Errorf("meta: HTTP %d: %.200s", resp.StatusCode, body)
			}
		}
		if attempt > 50 {
			return errors.New("meta: giving up after 50 retries")
		}
		time.Sleep(backoff)
		if backoff < 5*time.Second {
			backoff *= 2
		}
	}
}

// flush sends every open batch (inflight at a time), then commits what they covered.
func (x *exporter) flush(ctx context.Context) error {
	if x.nrows == 0 {
		return x.commit(ctx)
	}
	sem := make(chan struct{}, x.o.inflight)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for k, rows := range x.batches {
		for i := 0; i < len(rows); i += x.o.batch {
			end := min(i+x.o.batch, len(rows))
			wg.Add(1)
			sem <- struct{}{}
			go func(k batchKey, part [][2]string) {
				defer func() { <-sem; wg.Done() }()
				if err := x.send(k, part); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}(k, rows[i:end])
		}
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	x.batches = map[batchKey][][2]string{}
	x.pending = map[batchKey]map[string]bool{}
	x.nrows = 0
	return x.commit(ctx)
}

func (x *exporter) commit(ctx context.Context) error {
	var recs []*kgo.Record
	for _, parts := range x.marks {
		for _, r := range parts {
			recs = append(recs, r)
		}
	}
	x.marks = map[string]map[int32]*kgo.Record{}
	if len(recs) == 0 {
		return nil
	}
	return x.cl.CommitRecords(ctx, recs...)
}

func (x *exporter) mark(r *kgo.Record) {
	parts := x.marks[r.Topic]
	if parts == nil {
		parts = map[int32]*kgo.Record{}
		x.marks[r.Topic] = parts
	}
	parts[r.Partition] = r
}

// add decodes one record and places its row; bad records are skipped (counted).
func (x *exporter) add(ctx context.Context, r *kgo.Record) error {
	defer x.mark(r)
	v := r.Value
	if len(v) < 5 || v[0] != 0 {
		return nil
	}
	sc, err := x.sch.get(binary.BigEndian.Uint32(v[1:5]))
	if err != nil {
		return err
	}
	var ev event
	if err := avro.Unmarshal(sc, v[5:], &ev); err != nil {
		return nil
	}
	aud, ok := x.o.audiences[ev.SegmentID]
	if !ok {
		return nil
	}
	cells, ok := row(&ev)
	if !ok {
		return nil
	}
	k := batchKey{aud, ev.Op == "ENTER"}
	if x.pending[batchKey{aud, !k.enter}][ev.ProfileID] {
		if err := x.flush(ctx); err != nil { // keep the profile's order
			return err
		}
	}
	if x.nrows == 0 {
		x.oldest = time.Now()
	}
	if x.pending[k] == nil {
		x.pending[k] = map[string]bool{}
	}
	x.pending[k][ev.ProfileID] = true
	x.batches[k] = append(x.batches[k], cells)
	x.nrows++
	if len(x.batches[k]) >= x.o.batch {
		return x.flush(ctx)
	}
	return nil
}

func (x *exporter) run(ctx context.Context) error {
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, x.o.linger)
		fetches := x.cl.PollRecords(pctx, 100000)
		cancel()
		for _, fe := range fetches.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) && !errors.Is(fe.Err, context.Canceled) {
				log.Printf("fetch error %s/%d: %v", fe.Topic, fe.Partition, fe.Err)
			}
		}
		var err error
		fetches.EachRecord(func(r *kgo.Record) {
			if x.o.consumeOnly {
				x.mark(r)
			} else if err == nil {
				err = x.add(ctx, r)
			}
		})
		if err == nil && x.nrows > 0 && time.Since(x.oldest) >= x.o.linger {
			err = x.flush(ctx)
		} else if err == nil && x.nrows == 0 {
			err = x.commit(ctx)
		}
		x.cl.AllowRebalance()
		if err != nil {
			return err
		}
	}
	return nil
}

func parseAudiences(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if seg, aud, ok := strings.Cut(kv, "="); ok {
			m[seg] = aud
		}
	}
	return m
}

func main() {
	var o opts
	var auds string
	flag.StringVar(&o.brokers, "brokers", "127.0.0.1:9092", "bootstrap servers")
	flag.StringVar(&o.topic, "topic", "segment-membership", "topic")
	flag.StringVar(&o.group, "group", "goexport", "consumer group")
	flag.StringVar(&o.registry, "registry", "", "schema registry URL")
	flag.StringVar(&o.meta, "meta", "", "Meta Graph base URL")
	flag.StringVar(&o.token, "token", "", "access token")
	flag.StringVar(&o.version, "api-version", "v25.0", "Graph API version")
	flag.StringVar(&auds, "audiences", "", "segment=audience,...")
	flag.IntVar(&o.batch, "batch", 10000, "rows per request")
	flag.IntVar(&o.inflight, "inflight", 4, "concurrent requests")
	flag.BoolVar(&o.consumeOnly, "consume-only", false, "only consume and commit (baseline)")
	flag.DurationVar(&o.linger, "linger", 200*time.Millisecond, "longest wait of a row")
	flag.Parse()
	o.audiences = parseAudiences(auds)
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(o.brokers, ",")...),
		kgo.ConsumerGroup(o.group), kgo.ConsumeTopics(o.topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(), kgo.FetchMaxBytes(64<<20))
	if err != nil {
		log.Fatal(err)
	}
	x := &exporter{o: o, cl: cl, sch: &schemas{url: o.registry, byID: map[uint32]avro.Schema{}},
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: o.inflight * 2}},
		batches: map[batchKey][][2]string{}, pending: map[batchKey]map[string]bool{},
		marks: map[string]map[int32]*kgo.Record{}}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log.Printf("goexport: %d audiences, batch %d, %d in flight", len(o.audiences), o.batch,
		o.inflight)
	err = x.run(ctx)
	cl.Close()
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Print(err)
		os.Exit(1)
	}
}

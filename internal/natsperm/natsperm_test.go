package natsperm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/deadletter"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/natsperm"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/notify"
	"github.com/newsroom/commentd/projections"
)

// notifyState uses the NOTIFY bucket as the web server does (verify,
// unsubscribe) and, for the worker, the notifier's consumer as Run makes it.
func notifyState(ctx context.Context, js jetstream.JetStream, consumer bool) error {
	st, err := notify.Attach(ctx, js)
	if err != nil {
		return err
	}
	hash := notify.NewKeys([]byte("k")).AddressHash(uuid.NewString() + "@example.com")
	if err := st.Verify(ctx, hash); err != nil {
		return err
	}
	if err := st.Unsubscribe(ctx, hash); err != nil {
		return err
	}
	if a, err := st.Address(ctx, hash); err != nil || a.Mailable() {
		return fmt.Errorf("address %+v, %v", a, err)
	}
	if !consumer {
		return nil
	}
	log, err := events.Attach(ctx, js)
	if err != nil {
		return err
	}
	cons, err := log.Durable(ctx, jetstream.ConsumerConfig{
		Durable: notify.ConsumerName, FilterSubjects: notify.Subjects, DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy: jetstream.AckExplicitPolicy,
	}, nil)
	if err != nil {
		return err
	}
	_, err = cons.Info(ctx)
	return err
}

// The table held against a real embedded server, as the all-in-one runs
// it.
func TestRolesOnAnEmbeddedServer(t *testing.T) {
	ns := natstest.Start(t, embedded.Options{StoreDir: t.TempDir(), Identities: natsperm.Identities()})
	checkRoles(t, ns.ClientURL(), func(name string) string { return natstest.Password(t, ns, name) })
}

// The same table on a 3-node cluster, as docker-compose.yml runs it.
func TestRolesOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-node cluster")
	}
	cl := natstest.NewClusterWith(t, 3, natsperm.Identities())
	checkRoles(t, cl.ClientURLs(), cl.Password)
}

func checkRoles(t *testing.T, url string, password func(string) string) {
	ctx := context.Background()

	t.Run("anonymous and wrong passwords are refused", func(t *testing.T) {
		for _, opts := range [][]nats.Option{nil, {nats.UserInfo(natsperm.API, "guess")}, {nats.UserInfo("admin", "admin")}} {
			if nc, err := nats.Connect(url, opts...); !errors.Is(err, nats.ErrAuthorization) {
				if nc != nil {
					nc.Close()
				}
				t.Errorf("connect %d options: %v, want an authorization violation", len(opts), err)
			}
		}
	})

	op := dial(t, url, natsperm.Operator, password)
	if err := natsperm.Provision(ctx, op.js, natsperm.Setup{Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	// On a cluster, the new streams elect their leaders first: a request
	// before that finds no responder.
	names := op.js.StreamNames(ctx)
	for name := range names.Name() {
		poll.True(t, 30*time.Second, "stream "+name+" has a leader", func() bool {
			st, err := op.js.Stream(ctx, name)
			if err != nil {
				return false
			}
			info, err := st.Info(ctx)
			return err == nil && (info.Cluster == nil || info.Cluster.Name == "" || info.Cluster.Leader != "")
		})
	}
	oplog, err := events.Attach(ctx, op.js)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := appendTo(ctx, oplog, events.Envelope{Article: "a1", Comment: uuid.NewString()}, events.CommentSubmitted, events.ActorReader, events.Submitted{Author: "A", Text: "first"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := accounts.Secret(ctx, op.js, natsperm.ReportersSecret)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("roles", func(t *testing.T) { checkEachRole(t, url, password, seed, secret) })

	// Nothing the roles were refused happened.
	for _, s := range []string{events.StreamName, deadletter.StreamName, "KV_" + accounts.AccountsBucket, "KV_" + projections.StatusBucket} {
		if _, err := op.js.Stream(ctx, s); err != nil {
			t.Errorf("stream %s after the refusals: %v", s, err)
		}
	}
	if got, err := accounts.Secret(ctx, op.js, natsperm.ReportersSecret); err != nil || !bytes.Equal(got, secret) {
		t.Errorf("secret after the refusals: %v", err)
	}
	if info, err := op.js.Consumer(ctx, events.StreamName, moderation.ConsumerName); err != nil || !slices.Equal(info.CachedInfo().Config.FilterSubjects, moderation.ConsumerConfig(1).FilterSubjects) {
		t.Errorf("the worker's consumer after the refusals: %v", err)
	}
}

// checkEachRole holds each role to its rows of the table, in parallel.
func checkEachRole(t *testing.T, url string, password func(string) string, seed events.Envelope, secret []byte) {
	// What every role needs to keep its read models.
	readsTheLog := func(c *client) {
		c.may("attach and follow the log", func(ctx context.Context) error {
			log, err := events.Attach(ctx, c.js)
			if err != nil {
				return err
			}
			if _, err := log.History(ctx, seed.Article, seed.Comment); err != nil {
				return err
			}
			fctx, stop := context.WithCancel(ctx)
			defer stop()
			err = log.Follow(fctx, events.FollowConfig{}, func(events.Envelope, uint64, error) error { stop(); return nil })
			if errors.Is(err, context.Canceled) {
				err = nil
			}
			return err
		})
		c.may("count dead letters", func(ctx context.Context) error {
			_, err := c.js.Stream(ctx, deadletter.StreamName)
			return err
		})
	}
	// What no role may do.
	isNoOperator := func(c *client) {
		c.mayNot("delete the stream", "$JS.API.STREAM.DELETE.COMMENTS", func(ctx context.Context) error {
			return c.js.DeleteStream(ctx, events.StreamName)
		})
		c.mayNot("purge the stream", "$JS.API.STREAM.PURGE.COMMENTS", func(ctx context.Context) error {
			return c.raw(ctx, "$JS.API.STREAM.PURGE.COMMENTS", "{}")
		})
		c.mayNot("change the stream", "$JS.API.STREAM.UPDATE.COMMENTS", func(ctx context.Context) error {
			_, err := c.js.UpdateStream(ctx, jetstream.StreamConfig{Name: events.StreamName, Subjects: events.StreamSubjects})
			return err
		})
		c.mayNot("create a stream", "$JS.API.STREAM.CREATE.EVIL", func(ctx context.Context) error {
			_, err := c.js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVIL", Subjects: []string{"evil.>"}})
			return err
		})
		c.mayNot("delete the accounts bucket", "$JS.API.STREAM.DELETE.KV_ACCOUNTS", func(ctx context.Context) error {
			return c.js.DeleteKeyValue(ctx, accounts.AccountsBucket)
		})
		c.mayNot("delete a dead letter", "$JS.API.STREAM.MSG.DELETE.DEADLETTER", func(ctx context.Context) error {
			return c.raw(ctx, "$JS.API.STREAM.MSG.DELETE."+deadletter.StreamName, `{"seq":1}`)
		})
		c.mayNot("write the secret", "$KV.SECRETS.", func(ctx context.Context) error {
			return c.publish(ctx, "$KV.SECRETS.secret."+natsperm.ReportersSecret, "mine now")
		})
		c.mayNot("read other roles' replies", "_INBOX.>", func(context.Context) error { return c.subscribe("_INBOX.>") })
		c.mayNot("read events as they are published", "comments.>", func(context.Context) error { return c.subscribe("comments.>") })
		for _, other := range natsperm.Roles {
			if other != c.role {
				c.mayNot("read "+other+"'s replies", natsperm.InboxPrefix(other)+".>", func(context.Context) error {
					return c.subscribe(natsperm.InboxPrefix(other) + ".>")
				})
			}
		}
	}
	notTheWorker := func(c *client) {
		c.mayNot("re-point the worker's consumer", "$JS.API.CONSUMER.CREATE.COMMENTS.moderation", func(ctx context.Context) error {
			_, err := c.js.CreateOrUpdateConsumer(ctx, events.StreamName, jetstream.ConsumerConfig{Durable: moderation.ConsumerName, FilterSubject: "comments.none.*.submitted"})
			return err
		})
		c.mayNot("delete the worker's consumer", "$JS.API.CONSUMER.DELETE.COMMENTS.moderation", func(ctx context.Context) error {
			return c.js.DeleteConsumer(ctx, events.StreamName, moderation.ConsumerName)
		})
	}

	t.Run("worker", func(t *testing.T) {
		t.Parallel()
		c := dial(t, url, natsperm.Worker, password)
		readsTheLog(c)
		isNoOperator(c)
		c.may("take a submission from its consumer and decide it", func(ctx context.Context) error {
			var cons jetstream.Consumer
			if err := answered(ctx, func() (err error) {
				cons, err = c.js.CreateOrUpdateConsumer(ctx, events.StreamName, moderation.ConsumerConfig(1))
				return err
			}); err != nil {
				return err
			}
			// A new consumer on a cluster elects its leader before it
			// answers pulls.
			for {
				info, err := cons.Info(ctx)
				if err == nil && (info.Cluster == nil || info.Cluster.Name == "" || info.Cluster.Leader != "") {
					break
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("consumer without a leader: %w", ctx.Err())
				case <-time.After(50 * time.Millisecond):
				}
			}
			var msg jetstream.Msg
			if err := answered(ctx, func() (err error) { msg, err = cons.Next(jetstream.FetchMaxWait(5 * time.Second)); return err }); err != nil {
				return err
			}
			if err := answered(ctx, func() error { return msg.DoubleAck(ctx) }); err != nil {
				return err
			}
			var log *events.Log
			if err := answered(ctx, func() (err error) { log, err = events.Attach(ctx, c.js); return err }); err != nil {
				return err
			}
			return answered(ctx, func() error {
				_, err := appendTo(ctx, log, seed, events.CommentApproved, events.RulesActor("1"), events.Decision{Reason: "clean"})
				return err
			})
		})
		c.mayNot("submit a comment", "comments.a1.", func(ctx context.Context) error {
			return c.publish(ctx, "comments.a1.c1.submitted", "{}")
		})
		c.mayNot("report a comment", "reports.a1.", func(ctx context.Context) error {
			return c.publish(ctx, "reports.a1.c1", "{}")
		})
		c.mayNot("ban an author", "authors.", func(ctx context.Context) error {
			return c.publish(ctx, "authors.x.banned", "{}")
		})
		c.mayNot("write an account", "$KV.ACCOUNTS.", func(ctx context.Context) error {
			return c.publish(ctx, "$KV.ACCOUNTS.account.evil", `{"role":"admin"}`)
		})
		c.mayNot("make a data key", "$KV.AUTHOR_KEYS.", func(ctx context.Context) error {
			return c.publish(ctx, "$KV.AUTHOR_KEYS.key.evil", "0123456789abcdef0123456789abcdef")
		})
		c.mayNot("destroy a data key", "$JS.API.STREAM.MSG.DELETE.KV_AUTHOR_KEYS", func(ctx context.Context) error {
			return c.raw(ctx, "$JS.API.STREAM.MSG.DELETE."+events.KeysStream, `{"seq":1}`)
		})
		c.mayNot("read the accounts", "$JS.API.STREAM.INFO.KV_ACCOUNTS", func(ctx context.Context) error {
			_, err := c.js.KeyValue(ctx, accounts.AccountsBucket)
			return err
		})
		c.mayNot("read the secret", "$JS.API.DIRECT.GET.KV_SECRETS.$KV.SECRETS.secret."+natsperm.ReportersSecret, func(ctx context.Context) error {
			_, err := accounts.Secret(ctx, c.js, natsperm.ReportersSecret)
			return err
		})
		c.mayNot("read the secrets bucket through a consumer", "$JS.API.CONSUMER.CREATE.KV_SECRETS", func(ctx context.Context) error {
			_, err := c.js.OrderedConsumer(ctx, "KV_"+accounts.SecretsBucket, jetstream.OrderedConsumerConfig{})
			return err
		})
		c.may("read the notifications' secret", func(ctx context.Context) error {
			_, err := accounts.Secret(ctx, c.js, natsperm.NotifySecret)
			return err
		})
		c.may("keep the notifications' state and take events from its consumer", func(ctx context.Context) error {
			return notifyState(ctx, c.js, true)
		})
		c.mayNot("write the old snapshot bucket", "$O.PROJECTIONS.", func(ctx context.Context) error {
			return c.publish(ctx, "$O.PROJECTIONS.C.x", "views")
		})
		c.mayNot("write the status view", "$KV.VIEW_STATUS.", func(ctx context.Context) error {
			return c.publish(ctx, "$KV.VIEW_STATUS.status."+seed.Comment, `{"status":"approved"}`)
		})
		c.mayNot("read the status view", "$JS.API.STREAM.INFO.KV_VIEW_STATUS", func(ctx context.Context) error {
			_, err := projections.AttachStatusView(ctx, c.js)
			return err
		})
	})

	t.Run("api", func(t *testing.T) {
		t.Parallel()
		c := dial(t, url, natsperm.API, password)
		readsTheLog(c)
		isNoOperator(c)
		notTheWorker(c)
		c.may("append readers' and moderators' events", func(ctx context.Context) error {
			log, err := events.Attach(ctx, c.js)
			if err != nil {
				return err
			}
			e, err := appendTo(ctx, log, events.Envelope{Article: "a1", Comment: uuid.NewString()}, events.CommentSubmitted, events.ActorReader, events.Submitted{Author: "B", Text: "hello"})
			if err != nil {
				return err
			}
			if _, err := appendTo(ctx, log, e, events.CommentReported, events.ActorReader, events.Reported{Reason: "spam", ReporterID: "r"}); err != nil {
				return err
			}
			_, err = appendTo(ctx, log, e, events.CommentRejected, events.ModeratorActor+"m", events.Decision{Reason: "spam"})
			return err
		})
		c.may("sign moderators in", func(ctx context.Context) error {
			st, err := accounts.Attach(ctx, c.js, accounts.Config{BcryptCost: 4})
			if err != nil {
				return err
			}
			if _, err := st.Add(ctx, "maria", "a long enough password", accounts.Moderator, "test"); err != nil {
				return err
			}
			_, _, err = st.NewSession(ctx, "maria")
			return err
		})
		c.may("mark a reader's address verified or unsubscribed", func(ctx context.Context) error {
			return notifyState(ctx, c.js, false)
		})
		c.mayNot("take events from the notifier's consumer", "$JS.API.CONSUMER.CREATE.COMMENTS.notify", func(ctx context.Context) error {
			_, err := c.js.CreateOrUpdateConsumer(ctx, events.StreamName, jetstream.ConsumerConfig{Durable: notify.ConsumerName})
			return err
		})
		c.may("read the secret", func(ctx context.Context) error {
			got, err := accounts.Secret(ctx, c.js, natsperm.ReportersSecret)
			if err == nil && !bytes.Equal(got, secret) {
				err = errors.New("another secret than the operator's")
			}
			return err
		})
		c.mayNot("write the old snapshot bucket", "$O.PROJECTIONS.", func(ctx context.Context) error {
			return c.publish(ctx, "$O.PROJECTIONS.C.x", "views")
		})
		c.mayNot("replace the snapshot's chunks", "$JS.API.STREAM.PURGE.OBJ_PROJECTIONS", func(ctx context.Context) error {
			return c.raw(ctx, "$JS.API.STREAM.PURGE.OBJ_PROJECTIONS", "{}")
		})
		c.mayNot("ack for the worker", "$JS.ACK.COMMENTS.moderation.", func(ctx context.Context) error {
			return c.publish(ctx, "$JS.ACK.COMMENTS.moderation.1.1.1.1.1.0", "+ACK")
		})
		c.may("read the status view", func(ctx context.Context) error {
			v, err := projections.AttachStatusView(ctx, c.js)
			if err != nil {
				return err
			}
			if _, err := v.Status(ctx, uuid.NewString()); !errors.Is(err, events.ErrNotFound) {
				return fmt.Errorf("unknown comment: %v, want not found", err)
			}
			_, err = v.Checkpoint(ctx)
			return err
		})
		c.mayNot("write the status view", "$KV.VIEW_STATUS.", func(ctx context.Context) error {
			return c.publish(ctx, "$KV.VIEW_STATUS.status."+seed.Comment, `{"status":"approved"}`)
		})
		c.mayNot("move the status view's checkpoint", "$KV.VIEW_STATUS.", func(ctx context.Context) error {
			return c.publish(ctx, "$KV.VIEW_STATUS.checkpoint", "999999")
		})
		c.mayNot("delete the status view", "$JS.API.STREAM.DELETE.KV_VIEW_STATUS", func(ctx context.Context) error {
			return c.js.DeleteKeyValue(ctx, projections.StatusBucket)
		})
		// Crypto-shredding: the api makes an author's key and seals with
		// it, but no key it can reach goes away or changes.
		var kid string
		c.may("seal a submission with a new author's key", func(ctx context.Context) error {
			log, err := events.Attach(ctx, c.js)
			if err != nil {
				return err
			}
			e, err := appendTo(ctx, log, events.Envelope{Article: "a1", Comment: uuid.NewString()}, events.CommentSubmitted, events.ActorReader,
				events.Submitted{Author: "Carol", AuthorID: "name:carol", Text: "my private words"})
			if err != nil {
				return err
			}
			raw, err := c.js.Stream(ctx, events.StreamName)
			if err != nil {
				return err
			}
			msg, err := raw.GetMsg(ctx, e.Seq)
			if err != nil {
				return err
			}
			if bytes.Contains(msg.Data, []byte("Carol")) || bytes.Contains(msg.Data, []byte("private")) {
				return fmt.Errorf("personal fields stored in plain text: %s", msg.Data)
			}
			kid, err = log.Keys().CurrentKey(ctx, "name:carol")
			return err
		})
		c.may("neither delete nor overwrite a data key (the bucket refuses)", func(ctx context.Context) error {
			kv, err := c.js.KeyValue(ctx, events.KeysBucket)
			if err != nil {
				return err
			}
			if kid == "" {
				return errors.New("no key was made")
			}
			before, err := kv.Get(ctx, "key."+kid)
			if err != nil {
				return err
			}
			if err := kv.Delete(ctx, "key."+kid); err == nil {
				return errors.New("a KV delete of a data key was stored")
			}
			if _, err := kv.Put(ctx, "key."+kid, []byte("0123456789abcdef0123456789abcdef")); err == nil {
				return errors.New("a data key was overwritten")
			}
			if err := kv.Purge(ctx, "author."+events.AuthorKey("name:carol")); err == nil {
				return errors.New("an author's key pointer was purged")
			}
			after, err := kv.Get(ctx, "key."+kid)
			if err != nil || !bytes.Equal(after.Value(), before.Value()) {
				return fmt.Errorf("the key changed: %v", err)
			}
			return nil
		})
		c.mayNot("destroy a data key", "$JS.API.STREAM.MSG.DELETE.KV_AUTHOR_KEYS", func(ctx context.Context) error {
			return c.raw(ctx, "$JS.API.STREAM.MSG.DELETE."+events.KeysStream, `{"seq":1}`)
		})
		c.mayNot("purge the data keys", "$JS.API.STREAM.PURGE.KV_AUTHOR_KEYS", func(ctx context.Context) error {
			return c.raw(ctx, "$JS.API.STREAM.PURGE."+events.KeysStream, "{}")
		})
	})

	t.Run("projector", func(t *testing.T) {
		t.Parallel()
		c := dial(t, url, natsperm.Projector, password)
		readsTheLog(c)
		isNoOperator(c)
		notTheWorker(c)

		c.may("write and read the status view", func(ctx context.Context) error {
			kv, err := c.js.KeyValue(ctx, projections.StatusBucket)
			if err != nil {
				return err
			}
			if _, err := kv.Put(ctx, "status."+seed.Comment, []byte(`{"status":"pending","article":"a1","seq":1}`)); err != nil {
				return err
			}
			v, err := projections.AttachStatusView(ctx, c.js)
			if err != nil {
				return err
			}
			_, err = v.Status(ctx, seed.Comment)
			return err
		})
		c.mayNot("submit a comment", "comments.a1.", func(ctx context.Context) error {
			return c.publish(ctx, "comments.a1.c1.submitted", "{}")
		})
		c.mayNot("decide a comment", "comments.a1.", func(ctx context.Context) error {
			return c.publish(ctx, "comments.a1.c1.approved", "{}")
		})
		c.mayNot("read the accounts", "$JS.API.STREAM.INFO.KV_ACCOUNTS", func(ctx context.Context) error {
			_, err := c.js.KeyValue(ctx, accounts.AccountsBucket)
			return err
		})
		c.mayNot("read the sessions", "$JS.API.DIRECT.GET.KV_SESSIONS", func(ctx context.Context) error {
			return c.raw(ctx, "$JS.API.DIRECT.GET.KV_SESSIONS.$KV.SESSIONS.x", "")
		})
		c.mayNot("read the secret", "$JS.API.STREAM.INFO.KV_SECRETS", func(ctx context.Context) error {
			_, err := accounts.Secret(ctx, c.js, natsperm.ReportersSecret)
			return err
		})
	})
}

// client is one identity's connection, which notes the permission
// violations the server reports.
type client struct {
	t    *testing.T
	role string
	nc   *nats.Conn
	js   jetstream.JetStream
	mu   sync.Mutex
	errs []string
}

func dial(t *testing.T, url, role string, password func(string) string) *client {
	t.Helper()
	c := &client{t: t, role: role}
	opts := []nats.Option{nats.UserInfo(role, password(role)), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		c.mu.Lock()
		c.errs = append(c.errs, err.Error())
		c.mu.Unlock()
	})}
	if role != natsperm.Operator {
		opts = append(opts, nats.CustomInboxPrefix(natsperm.InboxPrefix(role)))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("%s: %v", role, err)
	}
	t.Cleanup(nc.Close)
	c.nc = nc
	c.js, _ = jetstream.New(nc)
	return c
}

// may runs f, which must succeed, and must not be refused anything.
// answered calls f again while the cluster has no responder for it (a
// leader being elected or moved, seconds on a loaded machine): what it
// may do must not fail for that, and a refusal is a different error.
func answered(ctx context.Context, f func() error) error {
	for {
		err := f()
		if !errors.Is(err, nats.ErrNoResponders) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *client) may(what string, f func(context.Context) error) {
	c.t.Helper()
	c.reset()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := f(ctx); err != nil {
		c.t.Errorf("%s may %s: %v (refused: %q)", c.role, what, err, c.violations())
	} else if c.nc.Flush(); len(c.violations()) > 0 {
		c.t.Errorf("%s may %s, but was refused %q on the way", c.role, what, c.violations())
	}
}

// mayNot runs f, which the server must refuse with a permissions
// violation on a subject that starts with subject.
func (c *client) mayNot(what, subject string, f func(context.Context) error) {
	c.t.Helper()
	c.reset()
	// A refused request is never answered: f waits for its deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	err := f(ctx)
	want := fmt.Sprintf("to %q", subject)
	want = want[:len(want)-1] // a prefix of the subject
	refused := func() bool {
		for _, v := range c.violations() {
			if strings.Contains(v, "Permissions Violation") && strings.Contains(v, want) {
				return true
			}
		}
		return false
	}
	for end := time.Now().Add(5 * time.Second); !refused() && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond) // the refusal comes asynchronously, as an -ERR
	}
	if !refused() {
		c.t.Errorf("%s may not %s, but was not refused %s (err %v; refused: %q)", c.role, what, subject, err, c.violations())
	}
}

func (c *client) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = nil
}

func (c *client) violations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.errs)
}

// raw sends a JetStream API request and waits for its answer.
func (c *client) raw(ctx context.Context, subject, body string) error {
	_, err := c.nc.RequestWithContext(ctx, subject, []byte(body))
	return err
}

// publish stores data on subject through JetStream and waits for the ack.
func (c *client) publish(ctx context.Context, subject, data string) error {
	_, err := c.js.Publish(ctx, subject, []byte(data))
	return err
}

// subscribe asks for a core subscription and waits for the server to
// have it (or to have refused it).
func (c *client) subscribe(subject string) error {
	sub, err := c.nc.SubscribeSync(subject)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	return c.nc.Flush()
}

// appendTo appends an event of typ about on's comment.
func appendTo(ctx context.Context, log *events.Log, on events.Envelope, typ events.Type, actor string, payload any) (events.Envelope, error) {
	e, err := events.New(uuid.NewString(), typ, on.Article, on.Comment, actor, "", time.Now(), payload)
	if err != nil {
		return e, err
	}
	e.Seq, err = log.Append(ctx, e)
	return e, err
}

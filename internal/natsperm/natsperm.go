// Package natsperm is the one table of what each role may do on NATS:
// every identity commentd makes or documents takes its permissions from
// Grants, and the stream, bucket and consumer names come from the packages
// that own them.
//
// Permissions are an allow list: a subject no grant names is refused. The
// JetStream API is a set of subjects ($JS.API.STREAM.DELETE.<stream>, …),
// so "may not delete the stream" is "is not allowed to publish there".
package natsperm

import (
	"fmt"
	"slices"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/deadletter"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/notify"
	"github.com/newsroom/commentd/projections"
)

// The identities. The operator is not a role: it may do everything
// (create, update and delete streams, consumers and buckets), and only
// provisioning and commentctl use it.
const (
	Operator  = "operator"
	API       = "api"
	Worker    = "worker"
	Projector = "projector"
)

// Roles are the identities with limited permissions, in a stable order.
var Roles = []string{API, Worker, Projector}

// Grant is one row of the table: what it is for (for people), who holds
// it, and the subjects it allows to publish.
type Grant struct {
	What    string
	Roles   []string
	Publish []string
}

// durables are the named consumers of the COMMENTS stream and the role
// that owns each. Every role may make ephemeral consumers to read the
// log, so the others are refused these names: they could not then
// re-point or delete a worker's consumer.
var durables = map[string]string{
	moderation.ConsumerName:      Worker,
	commands.ReportsHoldConsumer: Worker,
	notify.ConsumerName:          Worker,
}

var all = []string{API, Worker, Projector}

// Grants is the permission table, which docs/operations.md shows.
var Grants = []Grant{
	{"read the log: follow it, a comment's history, the newest rule set", all,
		slices.Concat([]string{"$JS.API.INFO"}, read(events.StreamName))},
	{"read authors' data keys, to open the personal fields of submissions", all, read(events.KeysStream)},
	{"create an author's data key on their first submission (the bucket is write-once per key: no overwrite, no delete)", []string{API},
		[]string{"$KV." + events.KeysBucket + ".>"}},
	{"destroy the data keys an AuthorErased event names (the api appends an admin's erasure; only this role and the operator destroy)", []string{Projector},
		[]string{"$JS.API.STREAM.MSG.DELETE." + events.KeysStream}},
	{"count dead letters", all, []string{"$JS.API.STREAM.INFO." + deadletter.StreamName}},
	{"append readers' and moderators' events: submissions, reports, decisions, holds, bans, article settings, rule sets", []string{API},
		events.StreamSubjects},
	{"append the rules' decisions, and a rule set it was started with", []string{Worker}, []string{
		"comments.*.*.approved", "comments.*.*.rejected", "comments.*.*.held", events.RulesetSubjects,
	}},
	{"take submissions from its durable consumer and ack them", []string{Worker},
		durable(events.StreamName, moderation.ConsumerName)},
	{"take readers' reports from its durable consumer, to hold a comment enough readers reported", []string{Worker},
		durable(events.StreamName, commands.ReportsHoldConsumer)},
	{"take submissions, decisions and erasures from the notifier's durable consumer, to mail readers who asked (with --smtp-addr)", []string{Worker},
		durable(events.StreamName, notify.ConsumerName)},
	{"read the key of the notification mails' links and address hashes (that one key of the secrets bucket)", []string{Worker},
		[]string{"$JS.API.STREAM.INFO.KV_" + accounts.SecretsBucket, "$JS.API.DIRECT.GET.KV_" + accounts.SecretsBucket + ".$KV." + accounts.SecretsBucket + ".secret." + NotifySecret}},
	{"read and write readers' notification state: addresses by keyed hash (verified, unsubscribed), mails sent", []string{API, Worker},
		kv(notify.Bucket)},
	{"read and write moderators' accounts, tokens and sessions", []string{API},
		slices.Concat(kv(accounts.AccountsBucket), kv(accounts.SessionsBucket))},
	{"read the key behind the address hashes", []string{API}, read("KV_" + accounts.SecretsBucket)},
	{"answer a comment's status from the status view", []string{API}, readView(projections.StatusBucket)},
	{"write the status view (its only writer) and its checkpoint", []string{Projector}, writeView(projections.StatusBucket)},
	{"read the moderation queues (held, reported, reports, pending) and the facts view (authors, articles' settings)", []string{API},
		slices.Concat(readView(projections.QueuesBucket), readView(projections.FactsBucket))},
	{"read the facts the rules decide with (authors, articles' settings)", []string{Worker}, readView(projections.FactsBucket)},
	{"write the queues and facts views (their only writer) and their checkpoints", []string{Projector},
		slices.Concat(writeView(projections.QueuesBucket), writeView(projections.FactsBucket))},
	{"serve articles' approved comments: load an article, watch the approved view", []string{API}, readView(projections.ArticlesBucket)},
	{"write the approved view (its only writer) and its checkpoint", []string{Projector}, writeView(projections.ArticlesBucket)},
	{"read the views' catalog: which bucket serves each view", all, read("KV_" + projections.CatalogBucket)},
	{"point the catalog at rebuilt views and answer rebuild requests", []string{Projector}, projections.CatalogWrites()},
}

// read is what a reader of a stream needs: its info, single messages,
// and ephemeral consumers (ordered pull consumers, and the push ones
// behind KV watches and object reads, with their flow control).
func read(stream string) []string {
	return []string{
		"$JS.API.STREAM.INFO." + stream,
		"$JS.API.STREAM.MSG.GET." + stream,
		"$JS.API.DIRECT.GET." + stream, "$JS.API.DIRECT.GET." + stream + ".>",
		"$JS.API.CONSUMER.CREATE." + stream, "$JS.API.CONSUMER.CREATE." + stream + ".>",
		"$JS.API.CONSUMER.INFO." + stream + ".*",
		"$JS.API.CONSUMER.DELETE." + stream + ".*", // an ordered consumer removes the one it replaces
		"$JS.API.CONSUMER.MSG.NEXT." + stream + ".*",
		"$JS.FC." + stream + ".>",
	}
}

// kv is reading and writing a bucket's keys (not its configuration).
func kv(bucket string) []string {
	return append(read("KV_"+bucket), "$KV."+bucket+".>")
}

// readView is reading a view in either of its buckets (the one serving,
// and the spare a rebuild fills).
func readView(view string) []string {
	var out []string
	for _, b := range projections.ViewBuckets(view) {
		out = append(out, read("KV_"+b)...)
	}
	return out
}

// writeView is writing a view's keys in either of its buckets, and
// emptying one (the spare, before --rebuild-projections fills it).
func writeView(view string) []string {
	var out []string
	for _, b := range projections.ViewBuckets(view) {
		out = append(out, kv(b)...)
		out = append(out, "$JS.API.STREAM.PURGE.KV_"+b)
	}
	return out
}

// durable is consuming from a named durable consumer, and creating it
// with the configuration its owner's code holds.
func durable(stream, name string) []string {
	return []string{
		"$JS.API.CONSUMER.CREATE." + stream + "." + name, "$JS.API.CONSUMER.CREATE." + stream + "." + name + ".>",
		"$JS.API.CONSUMER.MSG.NEXT." + stream + "." + name,
		"$JS.ACK." + stream + "." + name + ".>",
	}
}

// InboxPrefix is where a role's replies arrive: each role subscribes only
// under its own, so no role reads another's replies (such as the api's
// read of the secret).
func InboxPrefix(role string) string { return "_INBOX_" + role }

// Permissions returns the server permissions of role, the union of its
// grants.
func Permissions(role string) (*server.Permissions, error) {
	if !slices.Contains(Roles, role) {
		return nil, fmt.Errorf("natsperm: no role %q", role)
	}
	pub := &server.SubjectPermission{}
	for _, g := range Grants {
		if slices.Contains(g.Roles, role) {
			pub.Allow = append(pub.Allow, g.Publish...)
		}
	}
	for name, owner := range durables {
		if owner != role {
			pub.Deny = append(pub.Deny,
				"$JS.API.CONSUMER.CREATE."+events.StreamName+"."+name, "$JS.API.CONSUMER.CREATE."+events.StreamName+"."+name+".>",
				"$JS.API.CONSUMER.DELETE."+events.StreamName+"."+name)
		}
	}
	slices.Sort(pub.Deny)
	return &server.Permissions{
		Publish:   pub,
		Subscribe: &server.SubjectPermission{Allow: []string{InboxPrefix(role) + ".>"}},
	}, nil
}

// Identities returns every identity's permissions, the operator's nil
// (everything), as the embedded server takes them.
func Identities() map[string]*server.Permissions {
	ids := map[string]*server.Permissions{Operator: nil}
	for _, r := range Roles {
		ids[r], _ = Permissions(r)
	}
	return ids
}

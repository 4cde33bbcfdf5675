package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/leadqual/leadqual/lead"
	"github.com/leadqual/leadqual/qualify"
)

// Notifier tells sales that a lead needs them now. The server calls it for
// every need decision, before it answers the request, with a context that
// outlives the client (a web form that hangs up does not cancel the alert)
// and ends after Config.NotifyTimeout.
//
// This is the hook a host replaces: page the lead's owner, post to the
// sales channel, create a task due at the deadline. A host that must never
// lose an alert writes it to a durable queue here (an outbox table) rather
// than calling a remote service. A Notifier must be safe for concurrent
// use. An error is logged and reported to the client as
// "notification": "failed"; the decision stands.
type Notifier interface {
	NotifySales(ctx context.Context, l *lead.Lead, d qualify.Decision) error
}

// NotifierFunc adapts a function to the [Notifier] interface.
type NotifierFunc func(ctx context.Context, l *lead.Lead, d qualify.Decision) error

// NotifySales calls f.
func (f NotifierFunc) NotifySales(ctx context.Context, l *lead.Lead, d qualify.Decision) error {
	return f(ctx, l, d)
}

// LogNotifier is the example's Notifier: it logs the alert with slog, at
// warning level when the deadline has already passed. It logs no contact
// details (logs are no place for personal data): a real notifier hands
// them to the salesperson. Now is its clock; nil means time.Now.
type LogNotifier struct {
	Logger *slog.Logger
	Now    func() time.Time
}

// NotifySales logs the alert.
func (n LogNotifier) NotifySales(ctx context.Context, l *lead.Lead, d qualify.Decision) error {
	now := time.Now
	if n.Now != nil {
		now = n.Now
	}
	level, msg := slog.LevelInfo, "notify sales"
	left := d.Deadline.Sub(now())
	if left <= 0 {
		level, msg = slog.LevelWarn, "notify sales: the response deadline has passed"
	}
	if !n.Logger.Enabled(ctx, level) {
		return nil // nobody listens: build nothing
	}
	n.Logger.LogAttrs(ctx, level, msg,
		slog.String("request_id", requestIDFrom(ctx)),
		slog.String("lead", l.ID),
		slog.String("company", l.Company.Name),
		slog.String("owner", l.Owner),
		slog.String("value", l.Value.String()),
		slog.Time("respond_by", d.Deadline),
		slog.Duration("time_left", left.Round(time.Second)),
		slog.Any("reasons", d.Reasons()),
		slog.String("policy", d.Policy),
		slog.String("version", d.Version),
	)
	return nil
}

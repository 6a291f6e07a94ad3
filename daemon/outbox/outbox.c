/* SPDX-License-Identifier: MIT */
/* The outbox sender.
 *
 * Crash safety. SMTP cannot be asked afterwards whether it took a message,
 * so there is a window, between the end of the message's data and our
 * commit, where a crash, a lost connection or a timeout leaves us not
 * knowing. We close it on the side of "at most once" (a customer gets no
 * duplicate; a reply that may not have gone out is put before a person):
 *
 *   1. claim: the row is committed 'sending' (attempts + 1) and its session
 *      advisory lock taken; a crashed sender's lock vanishes with its
 *      connection, so another sender (or the restarted one) sees the row at
 *      once as recovering.
 *   2. the reply is APPENDed to the Sent folder BEFORE the SMTP submission
 *      (a copy from an earlier failed try is reused: found by Message-ID);
 *   3. smtp_started_at is committed (durably, whatever synchronous_commit
 *      says), then SMTP runs;
 *   4. on acceptance, the row and the draft become sent in one transaction;
 *      then the original is flagged \Answered (best effort).
 *
 * Uncertain. When the whole message went to the server and no final reply
 * came (smtp_send() says SMTP_UNCERTAIN), or a crashed try had reached step
 * 3, the reply may have been delivered: the row becomes 'uncertain' and is
 * never sent again on its own. Evidence that it went out is a second copy
 * with our Message-ID in the Sent folder (the one copy there is ours, from
 * step 2; providers that file submitted mail add another): then it is
 * marked sent. The Sent folder is looked at right away and then
 * OUTBOX_UNCERTAIN_CHECKS more times with growing pauses; otherwise a person
 * answers on the draft ("may have been delivered; send again?": mark it
 * delivered, or send it again), audited. A crashed try that had not reached
 * step 3 is simply sent again. A failed try goes back to 'pending' with
 * exponential backoff; after [smtp] max_attempts, or on a 5xx or an
 * unsendable draft, the row and the draft are 'failed' and the unsent Sent
 * copy is removed.
 *
 * The price: the Sent copy exists a moment before the message is sent, and
 * the IMAP server must be reachable to send at all. */
#include "daemon/outbox/outbox.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "daemon/imap/imap_conn.h"
#include "daemon/lib/log.h"
#include "daemon/outbox/outbox_body.h"
#include "daemon/outbox/outbox_sent.h"
#include "daemon/metrics/obs.h"
#include "daemon/outbox/smtp_send.h"
#include "daemon/oauth/oauth_token.h"
#include "daemon/store/store_promotion.h"
#include "daemon/lib/util.h"

#define OUTBOX_LEASE_S 900 /* informational: the advisory lock is the real lease */
#define OUTBOX_IDLE_MS 1000
/* an uncertain reply's Sent folder checks after the first: 5 s, 10 s, ...
 * about 20 minutes in all, then it waits for a person */
#define OUTBOX_UNCERTAIN_CHECKS 8

struct outbox_sender {
	struct daemon *daemon;
	pthread_t thread;
	char owner[300];
};

/* How one try ended. */
enum outbox_outcome { OUTBOX_DONE, OUTBOX_RETRY, OUTBOX_GIVE_UP, OUTBOX_UNCERTAIN };

unsigned int outbox_retry_delay(unsigned int attempts)
{
	unsigned int delay = OUTBOX_RETRY_BASE_S, i;

	for (i = 1; i < attempts && delay < OUTBOX_RETRY_MAX_S; i++)
		delay *= 2;
	return delay < OUTBOX_RETRY_MAX_S ? delay : OUTBOX_RETRY_MAX_S;
}

static const char *nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

int outbox_compose(const struct outbox_item *item, const struct mailbox_config *mb, time_t now,
		   struct buf *out, struct mail_envelope *env_r, struct error *err)
{
	const char *to = nonempty(item->recipient);
	struct mail_reply reply;
	struct buf body;
	int ret;

	if (to == NULL)
		to = nonempty(item->orig_reply_to);
	if (to == NULL)
		to = nonempty(item->orig_sender);
	memset(&reply, 0, sizeof(reply));
	reply.from = mb->address;
	reply.from_name = mb->display_name;
	reply.to = to;
	/* the customer's name where the reply goes to them (not a Reply-To) */
	if (to != NULL && item->orig_sender != NULL && strcasecmp(to, item->orig_sender) == 0)
		reply.to_name = item->orig_sender_name;
	reply.cc = nonempty(item->cc);
	reply.subject = nonempty(item->subject) != NULL ? item->subject : item->orig_subject;
	reply.orig_message_id = nonempty(item->orig_message_id);
	reply.orig_references = nonempty(item->orig_references);
	reply.message_id = item->message_id;
	buf_init(&body, MAIL_MESSAGE_MAX / 2);
	if (outbox_body(item, mb, &body) < 0) {
		buf_free(&body);
		error_set(err, "the reply with its signature and quote is larger than the limit");
		return -1;
	}
	reply.body = body.data != NULL ? body.data : "";
	reply.date = now;
	reply.is_auto = item->is_auto;
	ret = mail_compose(&reply, out, env_r, err);
	buf_free(&body);
	return ret;
}

static bool outbox_test_crash_enabled(void)
{
	const char *v = getenv(OUTBOX_TEST_CRASH_ENV);

	return v != NULL && strcmp(v, "1") == 0;
}

/* \Answered on the original, only while its folder keeps the UIDVALIDITY
 * the UID was stored under. */
static void outbox_mark_answered(struct imap_conn *conn, const struct mailbox_config *mb,
				 const struct outbox_item *item)
{
	uint32_t uidvalidity = 0, uidnext = 0;

	if (item->orig_uid == 0)
		return;
	if (imap_select(conn, mb->folder, &uidvalidity, &uidnext) < 0) {
		log_warn("could not select %s to flag the original: %s", mb->folder,
			 imap_error(conn));
		return;
	}
	if (uidvalidity != item->orig_uidvalidity) {
		log_warn("UIDVALIDITY of %s changed (%" PRIu32 " -> %" PRIu32
			 "): original not flagged \\Answered",
			 mb->folder, item->orig_uidvalidity, uidvalidity);
		return;
	}
	if (imap_add_flags(conn, mb->folder, item->orig_uid, "\\Answered") < 0)
		log_warn("could not flag the original \\Answered: %s", imap_error(conn));
}

/* The Sent copy of a reply that will never be sent is removed (UID EXPUNGE
 * of that message alone), so the folder does not claim a reply went out. */
static void outbox_discard_copy(struct imap_conn *conn, const struct mailbox_config *mb,
				const char *sent, const struct outbox_item *item)
{
	uint32_t uid = 0;

	/* only draftd's own copy: one the provider filed is of a sent reply */
	if (conn == NULL || sent == NULL || mb->sent_copy != SENT_COPY_APPEND ||
	    imap_find_message_id(conn, sent, item->message_id, &uid) != 1)
		return;
	switch (imap_expunge_uid(conn, sent, uid)) {
	case 1:
		log_info("removed the unsent copy from %s", sent);
		break;
	case 0:
		log_warn("%s has no UIDPLUS: the unsent copy is only flagged \\Deleted", sent);
		break;
	default:
		log_warn("could not remove the unsent copy from %s: %s", sent, imap_error(conn));
	}
}

/* [smtp] max_attempts; a config built without the loader (tests) has 0. */
static unsigned int outbox_max_attempts(const struct config *config)
{
	return config->smtp.max_attempts > 0 ? config->smtp.max_attempts : OUTBOX_MAX_ATTEMPTS;
}

/* [smtp] auth = oauth2 logs in as the reply's mailbox with its token (in
 * bearer[size]). Returns 0, or -1 with the reason set in err. */
static int smtp_options_from(const struct config *config, const struct mailbox_config *mb,
			     struct smtp_options *o, char *bearer, size_t size, struct error *err)
{
	memset(o, 0, sizeof(*o));
	o->url = config->smtp.url;
	o->user = config->smtp.user;
	o->password = config->smtp.password;
	if (config->smtp.auth == AUTH_OAUTH2) {
		if (oauth_token_get(mb, false, bearer, size, err) < 0) {
			error_prefix(err, "smtp");
			return -1;
		}
		o->user = mb->user;
		o->password = NULL;
		o->bearer = bearer;
	}
	o->tls = config->smtp.tls;
	o->ca_file = config->smtp.tls_ca_file;
	o->connect_timeout = config->smtp.connect_timeout;
	o->timeout = config->smtp.timeout;
	return 0;
}

/* Evidence in the Sent folder that the server took an uncertain reply: a
 * copy besides the one the sender put there itself (the only copy with
 * sent_copy = provider). Marks it sent then. sent NULL (sent_copy = off):
 * there is no evidence to look for. Returns 1 sent, 0 no evidence (yet), -1
 * on an error (logged). */
static int outbox_sent_evidence(struct store *store, struct imap_conn *conn,
				const struct mailbox_config *mb, const char *sent,
				const struct outbox_item *item)
{
	long copies;
	int r;

	if (sent == NULL)
		return 0;
	copies = imap_count_message_id(conn, sent, item->message_id);
	if (copies < 0) {
		log_warn("searching %s for an uncertain reply: %s", sent, imap_error(conn));
		return -1;
	}
	if (copies < outbox_sent_evidence_copies(mb))
		return 0;
	r = store_outbox_uncertain_sent(store, item,
					"the server filed a copy in the Sent folder: delivered");
	if (r < 0) {
		log_error("%s", store_error(store));
		return -1;
	}
	if (r > 0) {
		log_info("uncertain reply found in %s as filed by the server: marked sent", sent);
		outbox_mark_answered(conn, mb, item);
	}
	return r;
}

/* The claimed row's reply may have been delivered: 'uncertain', never sent
 * again on its own, and the Sent folder looked at at once. */
static enum outbox_outcome outbox_uncertain(struct store *store, struct imap_conn *conn,
					    const struct mailbox_config *mb, const char *sent,
					    const struct outbox_item *item, const char *why,
					    struct error *err)
{
	log_warn("reply may have been delivered, not sending it again: %s", why);
	if (store_outbox_uncertain(store, item, why, OUTBOX_RETRY_BASE_S) < 0) {
		/* still 'sending' with SMTP started: recovered as uncertain */
		error_set(err, "%s", store_error(store));
		log_error("%s", error_msg(err));
		return OUTBOX_UNCERTAIN;
	}
	if (outbox_sent_evidence(store, conn, mb, sent, item) == 0)
		log_warn("no copy filed by the server in %s yet: a person decides on draft %" PRId64
			 " (mark delivered, or send again)",
			 sent != NULL ? sent : "the Sent folder (sent_copy = off)", item->draft_id);
	return OUTBOX_UNCERTAIN;
}

/* One try for a claimed row. Sets err on OUTBOX_RETRY and
 * OUTBOX_GIVE_UP. */
static enum outbox_outcome outbox_try(struct store *store, const struct config *config,
				      const struct outbox_item *item, struct error *err)
{
	const struct mailbox_config *mb = config_mailbox(config, item->mailbox);
	struct imap_conn *conn = NULL;
	struct smtp_options smtp;
	struct mail_envelope env;
	enum outbox_outcome ret = OUTBOX_RETRY;
	const char *sent = NULL;
	struct imap_sent sent_folder;
	char bearer[OAUTH_TOKEN_BUF];
	long smtp_code = 0;
	enum smtp_result smtp_res;
	uint64_t smtp_started;
	struct buf msg;
	uint32_t uid = 0;
	int found = 0;

	buf_init(&msg, MAIL_MESSAGE_MAX);
	if (mb == NULL) {
		error_set(err, "mailbox '%s' is not in the config", item->mailbox);
		goto out;
	}
	if (outbox_compose(item, mb, time(NULL), &msg, &env, err) < 0) {
		error_prefix(err, "cannot compose the reply");
		ret = OUTBOX_GIVE_UP;
		goto out;
	}
	if (imap_connect(mb, &conn, err) < 0)
		goto out;
	/* found, or made when there is none (sent_copy = append files the copy) */
	switch (outbox_sent_folder(store, conn, mb, mb->sent_copy == SENT_COPY_APPEND, &sent_folder,
				   err)) {
	case -1:
		goto out;
	case 1:
		sent = sent_folder.name;
		break;
	default:
		break;
	}
	if (sent != NULL)
		found = imap_find_message_id(conn, sent, item->message_id, &uid);
	if (found < 0) {
		error_set(err, "searching %.200s: %.350s", sent, imap_error(conn));
		goto out;
	}
	if (item->recovering && item->smtp_started) {
		ret = outbox_uncertain(
			store, conn, mb, sent, item,
			"an interrupted try had started SMTP: the reply may have been "
			"delivered",
			err);
		goto out;
	}
	if (item->recovering)
		log_info("an interrupted try had not started SMTP: sending");
	/* the provider files only what it was given: an earlier try went out */
	if (found == 1 && mb->sent_copy == SENT_COPY_PROVIDER) {
		log_info("the server filed this reply in %s already: an earlier try was "
			 "delivered, not sending it again",
			 sent);
		if (store_outbox_sent(store, item,
				      "the server had filed it in the Sent folder: delivered by "
				      "an earlier try") < 0) {
			error_set(err, "%s", store_error(store));
			goto out;
		}
		outbox_mark_answered(conn, mb, item);
		ret = OUTBOX_DONE;
		goto out;
	}
	if (found == 0 && mb->sent_copy == SENT_COPY_APPEND &&
	    imap_append(conn, sent, msg.data, msg.len, "\\Seen") < 0) {
		error_set(err, "APPEND to %.200s: %.350s", sent, imap_error(conn));
		goto out;
	}
	if (store_outbox_smtp_started(store, item) < 0) {
		error_set(err, "%s", store_error(store));
		goto out;
	}
	if (smtp_options_from(config, mb, &smtp, bearer, sizeof(bearer), err) < 0)
		goto out;
	smtp_started = time_mono_ms();
	smtp_res = smtp_send(&smtp, &env, msg.data, msg.len, &smtp_code, err);
	/* the server refused the token at AUTH (it expired early or was
	 * revoked; nothing was sent, AUTH comes before MAIL FROM): forget it,
	 * fetch a new one and try once more now, as the IMAP login does */
	if (smtp.bearer != NULL && smtp_code == 535 &&
	    (smtp_res == SMTP_PERMFAIL || smtp_res == SMTP_TEMPFAIL)) {
		log_warn("smtp refused the access token of mailbox %s (%s): fetching a new one",
			 mb->name, error_msg(err));
		oauth_token_forget(mb);
		if (oauth_token_get(mb, true, bearer, sizeof(bearer), err) < 0) {
			error_prefix(err, "smtp");
			goto out;
		}
		smtp_res = smtp_send(&smtp, &env, msg.data, msg.len, &smtp_code, err);
	}
	obs_smtp_send(time_mono_ms() - smtp_started,
		      smtp_res == SMTP_SENT        ? OBS_SMTP_SENT
		      : smtp_res == SMTP_PERMFAIL  ? OBS_SMTP_PERMANENT_FAILURE
		      : smtp_res == SMTP_UNCERTAIN ? OBS_SMTP_UNCERTAIN
						   : OBS_SMTP_TEMPORARY_FAILURE);
	switch (smtp_res) {
	case SMTP_SENT:
		break;
	case SMTP_PERMFAIL:
		/* a refused token (535) is fetched anew and tried again, not given up */
		if (smtp.bearer != NULL && smtp_code == 535) {
			oauth_token_forget(mb);
			goto out;
		}
		ret = OUTBOX_GIVE_UP;
		goto out;
	case SMTP_TEMPFAIL:
		if (smtp.bearer != NULL && smtp_code == 535)
			oauth_token_forget(mb);
		goto out;
	case SMTP_UNCERTAIN: {
		char why[600];

		str_copy(why, sizeof(why), error_msg(err));
		ret = outbox_uncertain(store, conn, mb, sent, item, why, err);
		goto out;
	}
	}
	if (outbox_test_crash_enabled()) {
		log_warn("test hook %s: killing the process after SMTP acceptance",
			 OUTBOX_TEST_CRASH_ENV);
		raise(SIGKILL);
	}
	log_info("sent to %zu recipient(s)", env.rcpt_count);
	if (store_outbox_sent(store, item, NULL) < 0) {
		/* accepted but not recorded: the next claim recovers it from Sent */
		log_error("sent but not recorded: %s", store_error(store));
		ret = OUTBOX_DONE;
		goto out;
	}
	outbox_mark_answered(conn, mb, item);
	ret = OUTBOX_DONE;
out:
	if (ret == OUTBOX_GIVE_UP ||
	    (ret == OUTBOX_RETRY && item->attempts >= outbox_max_attempts(config) && mb != NULL))
		outbox_discard_copy(conn, mb, sent, item);
	imap_close(&conn);
	buf_free(&msg);
	explicit_bzero(bearer, sizeof(bearer));
	return ret;
}

/* Looks at the Sent folder for one uncertain reply whose check is due.
 * Returns 0 when none was due or it was looked at (the caller claims nothing
 * for it), -1 on a database error. */
static int outbox_check_one(struct store *store, const struct config *config)
{
	const struct mailbox_config *mb;
	struct imap_conn *conn = NULL;
	struct imap_sent sent;
	struct outbox_item item;
	struct error err;
	int r;

	r = store_outbox_claim_check(store, OUTBOX_UNCERTAIN_CHECKS, OUTBOX_RETRY_BASE_S, &item);
	if (r <= 0)
		return r;
	error_clear(&err); /* a mailbox without a Sent folder sets none */
	log_ctx_set("mailbox", item.mailbox);
	log_ctx_setf("outbox_id", "%" PRId64, item.id);
	log_ctx_setf("draft_id", "%" PRId64, item.draft_id);
	mb = config_mailbox(config, item.mailbox);
	if (mb == NULL)
		log_warn("uncertain reply: mailbox '%s' is not in the config", item.mailbox);
	else if (imap_connect(mb, &conn, &err) < 0)
		log_warn("uncertain reply: cannot check the Sent folder: %s", error_msg(&err));
	else if (outbox_sent_folder(store, conn, mb, false, &sent, &err) <= 0)
		log_warn("uncertain reply: no Sent folder to check%s%s",
			 error_msg(&err)[0] != '\0' ? ": " : "", error_msg(&err));
	else if (outbox_sent_evidence(store, conn, mb, sent.name, &item) == 0 &&
		 item.sent_checks >= OUTBOX_UNCERTAIN_CHECKS)
		log_warn("uncertain reply: no copy filed by the server in %s after %u checks; "
			 "it waits for a person (mark delivered, or send again)",
			 sent.name, item.sent_checks);
	imap_close(&conn);
	store_outbox_item_free(&item);
	log_ctx_set("draft_id", NULL);
	log_ctx_set("outbox_id", NULL);
	log_ctx_set("mailbox", NULL);
	return 0;
}

/* Claims and handles one row. Returns 1 when a row was handled, 0 when none
 * was due, -1 on a database error. */
static int outbox_process_one(struct outbox_sender *s, struct store *store)
{
	struct config *config = daemon_config(s->daemon);
	struct outbox_item item;
	enum outbox_outcome outcome;
	struct error err;
	bool final, gated = false;
	int r, ret = -1;

	if (nonempty(config->smtp.url) == NULL) {
		ret = 0;
		goto out_config;
	}
	/* held from before the claim until the try ended: `draftd auto off`
	 * waits on it, so no automatic reply claimed before the switch went
	 * off is still sending when it returns */
	if (store_auto_gate_enter(store) < 0) {
		log_error("%s", store_error(store));
		goto out_config;
	}
	gated = true;
	r = store_outbox_claim(store, s->owner, OUTBOX_LEASE_S, &item);
	if (r == 0)
		r = ret = outbox_check_one(store, config);
	if (r <= 0) {
		if (r < 0)
			log_error("%s", store_error(store));
		ret = r;
		goto out_config;
	}
	log_ctx_set("mailbox", item.mailbox);
	log_ctx_setf("outbox_id", "%" PRId64, item.id);
	log_ctx_setf("draft_id", "%" PRId64, item.draft_id);
	log_ctx_setf("attempt", "%u", item.attempts);
	error_clear(&err);
	outcome = outbox_try(store, config, &item, &err);
	ret = 1;
	if (outcome != OUTBOX_DONE && outcome != OUTBOX_UNCERTAIN) {
		final = outcome == OUTBOX_GIVE_UP || item.attempts >= outbox_max_attempts(config);
		if (final)
			log_error("giving up: %s", error_msg(&err));
		else
			log_warn("try failed, retrying in %us: %s",
				 outbox_retry_delay(item.attempts), error_msg(&err));
		if (store_outbox_failed(store, &item, error_msg(&err), final,
					outbox_retry_delay(item.attempts)) < 0) {
			log_error("%s", store_error(store));
			ret = -1;
		}
	}
	log_ctx_set("attempt", NULL);
	log_ctx_set("draft_id", NULL);
	log_ctx_set("outbox_id", NULL);
	log_ctx_set("mailbox", NULL);
	store_outbox_item_free(&item);
out_config:
	if (gated)
		store_auto_gate_leave(store);
	config_unref(&config);
	return ret;
}

static void *outbox_thread(void *arg)
{
	struct outbox_sender *s = arg;
	struct store *store = NULL;
	struct error err;
	int r;

	log_ctx_set("service", "outbox");
	while (!daemon_stopping(s->daemon)) {
		if (store == NULL) {
			struct config *config = daemon_config(s->daemon);

			r = store_open(config->database.url, config->database.connect_timeout,
				       &store, &err);
			config_unref(&config);
			if (r < 0) {
				log_error("%s", error_msg(&err));
				daemon_sleep(s->daemon, 5000);
				continue;
			}
		} else if (store_ensure(store) < 0) {
			log_error("%s", store_error(store));
			daemon_sleep(s->daemon, 5000);
			continue;
		}
		r = outbox_process_one(s, store);
		if (r == 0)
			daemon_sleep(s->daemon, OUTBOX_IDLE_MS);
		else if (r < 0)
			daemon_sleep(s->daemon, 2000);
	}
	store_close(&store);
	log_ctx_clear();
	return NULL;
}

static int outbox_start(struct daemon *daemon, void **priv_r, struct error *err)
{
	struct outbox_sender *s = calloc(1, sizeof(*s));
	char host[256];

	if (s == NULL) {
		error_set(err, "out of memory");
		return -1;
	}
	if (gethostname(host, sizeof(host)) < 0)
		str_copy(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(s->owner, sizeof(s->owner), "%s:%ld", host, (long)getpid());
	s->daemon = daemon;
	if (pthread_create(&s->thread, NULL, outbox_thread, s) != 0) {
		free(s);
		error_set(err, "cannot start the outbox thread");
		return -1;
	}
	*priv_r = s;
	return 0;
}

static void outbox_stop(void *priv)
{
	struct outbox_sender *s = priv;

	if (s == NULL)
		return;
	/* the daemon's stop flag is set: the thread ends after its current row */
	pthread_join(s->thread, NULL);
	free(s);
}

const struct service_ops service_outbox = {
	.name = "outbox",
	.start = outbox_start,
	.stop = outbox_stop,
};

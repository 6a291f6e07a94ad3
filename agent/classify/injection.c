/* SPDX-License-Identifier: MIT */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "agent/classify/injection.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/text/lang.h"
#include "agent/mime/mime.h"
#include "daemon/lib/regex.h"

/* How far before an address a "send/forward/cc ... to" verb is looked for,
 * within the same sentence. */
#define INJECTION_WINDOW   160
#define INJECTION_ADDR_MAX 254

struct injection_rule {
	const char *reason;
	const char *regex; /* on lang_fold()ed text */
};

/* Kept in one table so a reviewer can read every pattern in one place.
 * Texts are folded (lower case, no accents) before matching. */
static const struct injection_rule injection_rules[] = {
	/* chat-template tokens and fake system blocks */
	{"role_marker", "<\\|(im_start|im_end|endoftext|system|assistant|user)\\|>"},
	{"role_marker", "\\[/?inst\\]|<</?sys>>"},
	{"role_marker", "(?m)^[ \\t>*]*#{2,}\\s*(system|assistant|instructions?)\\b"},
	{"role_marker", "-{3,}\\s*(begin|end)\\s+(system|assistant|admin)"},
	{"role_marker", "\\[\\s*(system|assistant|admin)\\s*:"},
	/* a "SYSTEM:" line is only an attack when it talks about the assistant:
	 * a customer quoting "System: degraded performance" is not */
	{"role_marker", "(?ms)^[ \\t>*]*(system|assistant|developer)\\s*:(?=.{0,400}?\\b("
			"assistant|auto-?send|instructions?|polic(y|ies)|ignore|you are|you must|"
			"human review|maintenance mode|override)\\b)"},
	{"ignore_instructions",
	 "\\b(ignore|disregard|forget|override|bypass)\\s+((all|any|of|the|previous|prior|above|"
	 "earlier|preceding|your|system|original|these|those|other|every|existing|current)"
	 "\\s+){0,4}(instructions?|prompts?|rules|directives?|guidelines|commands?|policies|"
	 "context)\\b"},
	{"ignore_instructions",
	 "\\b(ignorier\\w*|vergiss|vergessen|missachte\\w*)\\s+((sie|alle|die|deine|ihre|"
	 "bisherigen?|vorherigen?|vorigen|obigen|fruheren|vorangegangenen)\\s+){0,4}("
	 "anweisungen|instruktionen|regeln|befehle|vorgaben|richtlinien)\\b"},
	{"ignore_instructions",
	 "\\b(ignora|ignore|ignoren|ignorar|olvida|olvide|olviden|omite)\\s+((todas|todos|las|"
	 "los|tus|sus|de|anteriores|previas)\\s+){0,4}(instrucciones|reglas|ordenes|"
	 "indicaciones|directrices)\\b"},
	{"ignore_instructions",
	 "\\b(ignore[sz]?|ignorer|oublie[sz]?|oublier)\\s+((toutes|tous|les|des|vos|tes|"
	 "precedentes|anterieures)\\s+){0,4}(instructions|consignes|regles|directives)\\b"},
	{"role_override",
	 "\\byou\\s+are\\s+now\\s+((an?|in|the)\\s+)?(\\w+\\s+)?(ai|assistant|bot|model|agent|"
	 "mode|free|allowed|authori[sz]ed|unrestricted|dan|jailbroken)\\b"},
	{"role_override", "\\bfrom\\s+now\\s+on,?\\s+you\\s+(are|will|must)\\b"},
	{"role_override", "\\bpretend\\s+(to\\s+be|you\\s+are)\\b"},
	{"role_override",
	 "\\bact\\s+as\\s+(an?|the)\\s+(ai|assistant|admin\\w*|system|developer|root)\\b"},
	{"role_override",
	 "\\b(du\\s+bist\\s+(jetzt|nun|ab\\s+sofort)|ahora\\s+eres|(tu\\s+es|vous\\s+etes)\\s+"
	 "maintenant)\\b"},
	{"approval_bypass",
	 "\\bauto-?(send|reply|sending)\\s+(is\\s+)?(now\\s+)?(enabled|allowed|approved|active|"
	 "on)\\b"},
	{"approval_bypass", "\\bapproved\\s+for\\s+auto-?(send|reply)\\b"},
	{"approval_bypass",
	 "\\b(no|without)\\s+(human\\s+)?(approval|review)\\s+(is\\s+)?(needed|required|"
	 "necessary)\\b"},
	{"approval_bypass", "\\bhuman\\s+review\\s+is\\s+not\\s+(required|needed|necessary)\\b"},
	{"approval_bypass", "\\b(bypass|skip)\\s+(the\\s+)?(human\\s+)?(review|approval)\\b"},
	{"assistant_address",
	 "\\b(note|message|instructions?|attention|memo|hinweis|nota)\\s+(to|for|an|para|pour)\\s+"
	 "(the\\s+|den\\s+|el\\s+|l')?((mail|email|e-mail|ai|ki|virtual)\\s+)?(assistant|"
	 "assistent\\w*|ai|bot|agent|llm|language\\s+model|asistente)\\b"},
	{"assistant_address", "\\b(dear|hey|hello|hi)\\s+(ai|assistant|chatbot|llm|gpt)\\b"},
	{"data_request",
	 "\\bcustomer\\s+(list|emails?|e-mails?|e-?mail\\s+addresses|records|database)\\b"},
	{"data_request",
	 "\\b(other|all)\\s+customers'?\\s+(orders?|emails?|e-mails?|data|addresses)\\b"},
	{"data_request",
	 "\\b(full|complete|entire)\\s+(order|customer|client)\\s+(list|history|database)\\b"},
	{"data_request",
	 "\\b(kundenliste|kundendaten|lista\\s+de\\s+clientes|liste\\s+des\\s+clients)\\b"},
	/* politely worded: what others were told, dictated replies, new bank details */
	{"data_request",
	 "\\b(paste|copy|share|show|include|forward|send|repeat|quote)\\s+(me\\s+|us\\s+)?(what|"
	 "the|a|"
	 "your|copies\\s+of)\\b.{0,60}?\\b(last|previous|other|earlier|another|prior)\\s+"
	 "(customers?|clients?|buyers?)\\b"},
	{"data_request",
	 "\\bwhat\\s+you\\s+(told|wrote|sent|said|answered|replied)\\s+(to\\s+)?(the|your|another|"
	 "other|a)\\s+((last|previous|other|earlier|prior)\\s+)?(customers?|clients?)\\b"},
	{"data_request",
	 "\\b(letzten|vorherigen|vorigen|anderen)\\s+kunden\\b|\\b(cliente\\s+anterior|ultimo\\s+"
	 "cliente|otros?\\s+clientes?)\\b|\\b(client\\s+precedent|dernier\\s+client|autres?\\s+"
	 "clients?)\\b"},
	{"data_request", "\\b(system\\s+prompt|your\\s+(instructions|prompt|examples))\\b"},
	{"dictated_reply", "\\b(in|into|to)\\s+(your|the)\\s+(reply|answer|response)\\b.{0,40}?\\b("
			   "write|state|mention|"
			   "include|add|say|confirm|put|tell|that)\\b"},
	{"dictated_reply",
	 "\\b(write|state|mention|include|add|say|confirm|put|paste|sign)\\b.{0,80}?\\b(in|into|to|"
	 "with)\\s+(your|the)\\s+(reply|answer|response)\\b"},
	{"dictated_reply",
	 "\\b(confirm|write)\\s+in\\s+writing\\b|\\brepeat\\s+after\\s+me\\b|\\b(please\\s+)?"
	 "(write|put\\s+this|add\\s+this|add\\s+this\\s+line)\\s*:"},
	{"dictated_reply",
	 "\\bin\\s+ihrer\\s+antwort\\b|\\ben\\s+su\\s+respuesta\\b|\\bdans\\s+votre\\s+reponse\\b|"
	 "\\ba\\s+votre\\s+reponse\\b|\\bschreiben\\s+sie\\s*:"},
	{"payment_change",
	 "\\b(new|updated|changed|different)\\s+(bank\\s+(details|account)|account\\s+(details|"
	 "number)|"
	 "iban|payment\\s+details)\\b|\\bneue\\s+(bankverbindung|kontoverbindung|iban)\\b|"
	 "\\bnuevos?\\s+(datos\\s+bancarios|iban|numero\\s+de\\s+cuenta)\\b|\\bnouve(au|lles?)\\s+"
	 "(rib|iban|coordonnees\\s+bancaires)\\b"},
	{"exfiltration_link", "!\\[[^\\]\\n]{0,200}\\]\\(\\s*<?https?://"},
	{"exfiltration_link", "\\[[^\\]\\n]{0,200}\\]\\(\\s*<?https?://[^)\\s]*\\?[^)\\s]*="},
	{"exfiltration_link",
	 "<img\\b[^>]*\\bsrc\\s*=\\s*[\"']?https?://[^\"'\\s>]*\\?[^\"'\\s>]*="},
};
#define INJECTION_RULES (sizeof(injection_rules) / sizeof(injection_rules[0]))

static const char *const injection_order[] = {
	"role_marker",
	"ignore_instructions",
	"role_override",
	"approval_bypass",
	"assistant_address",
	"data_request",
	"dictated_reply",
	"payment_change",
	"recipient_redirect",
	"exfiltration_link",
	"hidden_text",
	"subject_instruction",
	"attachment_instruction",
	"error",
};
#define INJECTION_NAMES (sizeof(injection_order) / sizeof(injection_order[0]))

/* Verbs that route a reply somewhere (folded; en, de, es, fr). */
static const char injection_verbs[] =
	"\\b(send|sent|forward|reply|respond|cc|bcc|copy|mail|email|e-mail|write|submit|deliver|"
	"schick\\w*|sende\\w*|senden|leite\\w*|weiterleit\\w*|antwort\\w*|envi\\w*|reenvi\\w*|"
	"mand\\w*|envoy\\w*|transfer\\w*|repond\\w*)\\b";

struct injection_ctx {
	pcre2_code *rules[INJECTION_RULES];
	pcre2_code *verbs;
	pcre2_match_data *md;
	bool found[INJECTION_NAMES];
	const struct injection_input *in;
};

static void injection_mark(struct injection_ctx *c, const char *reason)
{
	size_t i;

	for (i = 0; i < INJECTION_NAMES; i++)
		if (strcmp(injection_order[i], reason) == 0)
			c->found[i] = true;
}

static bool injection_match(struct injection_ctx *c, const pcre2_code *re, const char *s,
			    size_t len)
{
	return regex_match(re, (PCRE2_SPTR)s, len, 0, 0, c->md, NULL) >= 0;
}

static bool injection_addr_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
	       ch == '%' || ch == '+' || ch == '-';
}

static const char *injection_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

/* Whether addr[len] (folded) is the customer's or the company's own. */
static bool injection_addr_known(const struct injection_input *in, const char *addr, size_t len)
{
	const char *dom = memchr(addr, '@', len), *own, *od;
	size_t dlen, i;

	if (dom == NULL)
		return true;
	dom++;
	dlen = len - (size_t)(dom - addr);
	/* the sender's whole domain: colleagues are not a redirect */
	od = injection_domain(in->sender);
	if (od != NULL && strlen(od) == dlen && strncasecmp(od, dom, dlen) == 0)
		return true;
	if (in->reply_to != NULL && strlen(in->reply_to) == len &&
	    strncasecmp(in->reply_to, addr, len) == 0)
		return true;
	for (i = 0; i < in->own_count; i++) {
		own = in->own_addresses[i];
		if (own == NULL)
			continue;
		od = injection_domain(own);
		if (od == NULL)
			od = own;
		if (strlen(od) == dlen && strncasecmp(od, dom, dlen) == 0)
			return true;
	}
	return false;
}

/* An address nobody of the conversation owns, with a routing verb before it
 * in the same sentence, is a request to write to someone else. */
static void injection_redirects(struct injection_ctx *c, const char *s, size_t len, bool *hit_r)
{
	size_t i, a, b, w;

	for (i = 0; i < len; i++) {
		if (s[i] != '@')
			continue;
		for (a = i; a > 0 && injection_addr_char((unsigned char)s[a - 1]); a--)
			;
		for (b = i + 1; b < len && injection_addr_char((unsigned char)s[b]); b++)
			;
		while (b > i + 1 && s[b - 1] == '.')
			b--;
		if (a == i || b == i + 1 || memchr(s + i + 1, '.', b - i - 1) == NULL ||
		    b - a > INJECTION_ADDR_MAX || injection_addr_known(c->in, s + a, b - a))
			continue;
		/* back to the start of the sentence, at most INJECTION_WINDOW */
		for (w = a; w > 0 && a - w < INJECTION_WINDOW; w--) {
			if ((s[w - 1] == '.' || s[w - 1] == '?' || s[w - 1] == '!') &&
			    (w == a || s[w] == ' ' || s[w] == '\n'))
				break;
			if (s[w - 1] == '\n' && w >= 2 && s[w - 2] == '\n')
				break;
		}
		if (injection_match(c, c->verbs, s + w, a - w)) {
			*hit_r = true;
			return;
		}
		i = b;
	}
}

/* Runs every rule on one folded source; returns whether any fired. */
static bool injection_source(struct injection_ctx *c, const char *s)
{
	size_t len = strlen(s), i;
	bool hit = false, redirect = false;

	for (i = 0; i < INJECTION_RULES; i++) {
		if (injection_match(c, c->rules[i], s, len)) {
			injection_mark(c, injection_rules[i].reason);
			hit = true;
		}
	}
	injection_redirects(c, s, len, &redirect);
	if (redirect)
		injection_mark(c, "recipient_redirect");
	return hit || redirect;
}

/* Zero-width, bidi and tag characters in the raw text: words hidden or
 * split on purpose (mime.c also reports this as MIME_FLAG_HIDDEN_TEXT). */
static bool injection_invisible(const char *raw)
{
	const unsigned char *s = (const unsigned char *)(raw != NULL ? raw : "");
	size_t len = strnlen((const char *)s, LANG_TEXT_MAX), i;

	for (i = 0; i + 2 < len; i++) {
		if (s[i] == 0xe2 && s[i + 1] == 0x80 &&
		    ((s[i + 2] >= 0x8b && s[i + 2] <= 0x8f) ||
		     (s[i + 2] >= 0xaa && s[i + 2] <= 0xae)))
			return true;
		if (s[i] == 0xe2 && s[i + 1] == 0x81 && s[i + 2] >= 0xa0 && s[i + 2] <= 0xa4)
			return true;
		if (s[i] == 0xef && s[i + 1] == 0xbb && s[i + 2] == 0xbf && i > 0)
			return true;
		if (i + 3 < len && s[i] == 0xf3 && s[i + 1] == 0xa0 && (s[i + 2] & 0xfe) == 0x80)
			return true;
	}
	return false;
}

static int injection_fold_scan(struct injection_ctx *c, const char *raw, bool filename, bool *hit_r)
{
	char *f = lang_fold(raw), *p;

	if (f == NULL)
		return -1;
	/* IGNORE_PREVIOUS_INSTRUCTIONS.pdf reads as words */
	for (p = f; filename && *p != '\0'; p++)
		if (*p == '_')
			*p = ' ';
	*hit_r = injection_source(c, f);
	free(f);
	return 0;
}

static void injection_fill(const struct injection_ctx *c, struct injection_result *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < INJECTION_NAMES && out->reasons_count < INJECTION_REASONS_MAX; i++)
		if (c->found[i])
			out->reasons[out->reasons_count++] = injection_order[i];
	out->suspected = out->reasons_count > 0;
}

int injection_scan(const struct injection_input *in, struct injection_result *out)
{
	struct injection_ctx c;
	size_t i, n;
	bool hit = false;
	int ret = -1;

	memset(&c, 0, sizeof(c));
	c.in = in;
	for (i = 0; i < INJECTION_RULES; i++)
		if ((c.rules[i] = regex_text(injection_rules[i].regex, PCRE2_CASELESS)) == NULL)
			goto out;
	c.verbs = regex_text(injection_verbs, PCRE2_CASELESS);
	c.md = pcre2_match_data_create(4, NULL);
	if (c.verbs == NULL || c.md == NULL)
		goto out;
	if (in->subject != NULL) {
		if (injection_fold_scan(&c, in->subject, false, &hit) < 0)
			goto out;
		if (hit)
			injection_mark(&c, "subject_instruction");
	}
	if (injection_fold_scan(&c, in->text, false, &hit) < 0)
		goto out;
	if (in->full_text != NULL && injection_fold_scan(&c, in->full_text, false, &hit) < 0)
		goto out;
	n = in->attachments_count < INJECTION_ATTACHMENTS_MAX ? in->attachments_count
							      : INJECTION_ATTACHMENTS_MAX;
	for (i = 0; i < n; i++) {
		if (in->attachments[i] == NULL)
			continue;
		if (injection_fold_scan(&c, in->attachments[i], true, &hit) < 0)
			goto out;
		if (hit)
			injection_mark(&c, "attachment_instruction");
	}
	if ((in->mime_flags & MIME_FLAG_HIDDEN_TEXT) != 0 || injection_invisible(in->subject) ||
	    injection_invisible(in->text) || injection_invisible(in->full_text))
		injection_mark(&c, "hidden_text");
	ret = 0;
out:
	if (ret < 0)
		injection_mark(&c, "error");
	injection_fill(&c, out);
	pcre2_match_data_free(c.md);
	return ret < 0 ? -1 : out->suspected ? 1 : 0;
}

bool injection_has(const struct injection_result *result, const char *name)
{
	size_t i;

	for (i = 0; i < result->reasons_count; i++)
		if (strcmp(result->reasons[i], name) == 0)
			return true;
	return false;
}

json_t *injection_reasons_json(const struct injection_result *result)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < result->reasons_count; i++)
		if (json_array_append_new(a, json_string(result->reasons[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "agent/classify/classify.h"

/* Default terms of the built-in categories, in the syntax of the
 * `keywords` config key (agent/classify/classify.h). Weights: 3 for phrases that
 * name the request outright ("request for quotation"), 2 for strong cues,
 * 1 for words that also occur elsewhere. Terms are folded when the set is
 * built, so accents may be written or left out. */

const char *const classify_builtin_categories[] = {
	"stock_inquiry", "order_status", "quote_request", "return_request", "address_change",
	"invoice_copy",  "complaint",    "other",         "none",
};
const size_t classify_builtin_count =
	sizeof(classify_builtin_categories) / sizeof(classify_builtin_categories[0]);

struct classify_keywords {
	const char *category;
	const char *language;
	const char *terms;
};

static const struct classify_keywords classify_keywords[] = {
	{"stock_inquiry", "en",
	 "stock, in stock^2, from stock^2, stock check^3, stock enquiry^3, stock inquiry^3, "
	 "availability^2, available^2, availab*, on the shelf^2, on hand, lead time, "
	 "backorder*, do you have^2, do you carry^2, have you got^2, check availability^2, "
	 "alternative*"},
	{"stock_inquiry", "de",
	 "lieferbar^2, verfugbar*^2, bestand, lagerbestand^2, auf lager^2, ab lager^2, "
	 "vorratig^2, lieferzeit, haben sie^2"},
	{"stock_inquiry", "es",
	 "stock, en stock^2, existencias^2, disponib*^2, en almacen^2, plazo de entrega, "
	 "tienen^1"},
	{"stock_inquiry", "fr", "stock, en stock^2, disponib*^2, delai*, avez-vous^2, avez vous^2"},

	{"order_status", "en",
	 "where is^2, where's my^2, order status^3, status^2, tracking^2, tracking number^2, "
	 "shipped^2, dispatched^2, delivery date^2, ship date^2, eta^2, when will^2, "
	 "update on^2, any news^2, arrive*, confirm it shipped^2"},
	{"order_status", "de",
	 "lieferstatus^3, bestellstatus^3, status^2, sendungsverfolgung^2, sendungsnummer^2, "
	 "tracking^2, wann kommt^2, liefertermin^2, versandt^2, verschickt^2"},
	{"order_status", "es",
	 "estado del pedido^3, estado^2, fecha de entrega^2, seguimiento^2, envio^1, "
	 "enviado^2, cuando llega*^2"},
	{"order_status", "fr",
	 "suivi^2, statut^2, ou en est^2, date de livraison^2, expedi*^2, numero de suivi^2"},

	{"quote_request", "en",
	 "quote^2, please quote^3, quotation^3, rfq^3, request for quotation^3, price^1, "
	 "prices^1, pricing^1, best price^2, offer^1, discount^1, incoterms^1"},
	{"quote_request", "de",
	 "angebot^3, preisanfrage^3, kostenvoranschlag^3, preis*^1, stuckpreis*^1, rabatt^1"},
	{"quote_request", "es", "presupuesto^3, cotizacion^3, oferta^2, precio*^1, descuento^1"},
	{"quote_request", "fr", "devis^3, cotation^3, offre^2, prix^1, tarif*^1, remise^1"},

	{"return_request", "en",
	 "return^2, returns^2, return request^3, return label^3, rma^2, send it back^2, "
	 "send back^2, exchange^2, replacement^1, refund^2, return for credit^2, damaged^1, "
	 "cracked^1, unopened^1, unused^1"},
	{"return_request", "de",
	 "rucksendung^3, retoure^3, zurucksenden^2, zuruckschicken^2, umtausch*^2, "
	 "ersatzlieferung^1, beschadigt^1"},
	{"return_request", "es",
	 "devolucion^3, devolver*^2, cambiar*^1, abono^2, sin usar^1, embalaje original^1"},
	{"return_request", "fr",
	 "retour^2, renvoyer^2, echange*^2, remboursement^2, avoir^1, endommage*^1"},

	{"address_change", "en",
	 "delivery address^3, change of address^3, address change^3, new address^2, "
	 "shipping address^2, address^1, new site^1, new warehouse^1, instead of^1"},
	{"address_change", "de",
	 "lieferadresse^3, lieferanschrift^3, adressanderung^3, neue adresse^2, "
	 "anschrift^1, adresse^1"},
	{"address_change", "es",
	 "direccion de entrega^3, cambio de direccion^3, nueva direccion^2, direccion^1"},
	{"address_change", "fr",
	 "adresse de livraison^3, changement d'adresse^3, nouvelle adresse^2, adresse^1"},

	{"invoice_copy", "en",
	 "invoice^2, invoices^2, invoice copy^3, invoice copies^3, copy invoice^3, "
	 "copy of the invoice^3, copies of the invoices^3, duplicate invoice^3, "
	 "resend the invoice^3, copy^1, copies^1"},
	{"invoice_copy", "de", "rechnung*^2, rechnungskopie^3, kopie^1, duplikat^2, buchhaltung^1"},
	{"invoice_copy", "es", "factura*^2, copia de la factura^3, copia^1"},
	{"invoice_copy", "fr", "facture*^2, copie de la facture^3, copie^1, duplicata^2"},

	{"complaint", "en",
	 "complaint^3, formal complaint^3, complain*^2, unacceptable^2, not good enough^3, "
	 "frustrated^2, disappointed^2, legal action^2, solicitor^2, lawyer^2, still not^2, "
	 "still no^3, third time^2, second time^2, late^1, wrong parts^1, missing^1, "
	 "sort this out^2, other suppliers^2, excuses^1, nobody has^1, nothing has arrived^2"},
	{"complaint", "de",
	 "reklamation^3, beschwerde^3, unvollstandig^2, fehlende^1, fehlmenge^2, verargert^2, "
	 "enttauscht^2, zweite mal^2, inakzeptabel^2, verspatet^1"},
	{"complaint", "es",
	 "queja^3, reclamacion^3, inaceptable^2, molestos^2, decepcionado*^2, retraso^1"},
	{"complaint", "fr",
	 "reclamation^3, plainte^3, inacceptable^2, mecontent*^2, decu*^1, retard^1"},

	{"other", "en",
	 "catalogue^2, catalog^2, opening hours^2, credit account^2, account^1, payment^1, "
	 "pay by card^2, gdpr^3, personal data^2, erasure^2, data subject^3, first order^2, "
	 "first time^1, trade counter^2, terms^1, how many days^1, general questions^2"},
	{"other", "de",
	 "katalog^2, datenschutz^3, offnungszeiten^2, zahlung*^1, kundenkonto^2, dsgvo^3"},
	{"other", "es", "catalogo^2, horario^2, proteccion de datos^3, pago^1, cuenta^1"},
	{"other", "fr", "catalogue^2, horaires^2, donnees personnelles^3, paiement^1, compte^1"},

	{"none", "en",
	 "unsubscribe^3, newsletter^3, out of office^3, out of the office^3, automatic reply^3, "
	 "auto-reply^3, autoreply^3, undeliverable^3, undelivered mail^3, "
	 "delivery status notification^3, mail delivery failed^3, could not be delivered^3, "
	 "do not reply^2, automatically generated^2, webinar^1, limited offer^2, "
	 "money back^2, guaranteed^2, seo^2, click here^1, stop receiving^3, "
	 "free audit^2, you receive this^2"},
	{"none", "de",
	 "abwesenheitsnotiz^3, nicht im buro^3, abmelden^3, newsletter^3, abbestellen^3, "
	 "automatische antwort^3, gratis^1, kostenlos^1, sie erhalten diesen^2"},
	{"none", "es", "darse de baja^3, fuera de la oficina^3, respuesta automatica^3, boletin^2"},
	{"none", "fr",
	 "se desabonner^3, desinscri*^3, absent du bureau^3, reponse automatique^3, "
	 "lettre d'information^2"},
};

const char *classify_keywords_builtin(const char *category, const char *language)
{
	size_t i;

	for (i = 0; i < sizeof(classify_keywords) / sizeof(classify_keywords[0]); i++)
		if (strcmp(classify_keywords[i].category, category) == 0 &&
		    strcmp(classify_keywords[i].language, language) == 0)
			return classify_keywords[i].terms;
	return NULL;
}

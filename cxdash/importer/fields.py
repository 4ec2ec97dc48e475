"""Which source column names mean which contract field, for automatic matching.

Names are compared normalised (lower case, letters and digits only), so "Created At",
"created_at" and "CreatedAt" all match `created_at`.
"""

from __future__ import annotations

import re

SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "contacts": {
        "contact_id": ("contactid", "ticketid", "id", "caseid", "ticketnumber", "conversationid",
                       "uniquekey", "callid", "incidentid", "number"),
        "created_at": ("createdat", "created", "createddate", "opened", "openedat", "createdon",
                       "creationdate", "datecreated", "ticketcreated", "date", "starttime"),
        "customer_id": ("customerid", "requesterid", "customer", "clientid", "customeremail",
                        "email", "requester"),
        "channel": ("channel", "via", "source", "ticketchannel", "origin", "medium"),
        "reason": ("reason", "contactreason", "driver", "tickettype", "type", "category",
                   "complainttype", "topic", "subject"),
        "team": ("team", "group", "assignmentgroup", "queue", "department", "agency"),
        "agent": ("agent", "assignee", "assignedto", "owner", "agentname", "rep"),
        "product": ("product", "productpurchased", "productcategory"),
        "region": ("region", "borough", "country", "state", "city", "location"),
        "priority": ("priority", "ticketpriority", "urgency", "severity"),
        "first_response_at": ("firstresponseat", "firstresponsetime", "firstreplyat",
                              "firstresponse", "respondedat"),
        "resolved_at": ("resolvedat", "resolved", "solvedat", "closedat", "closeddate",
                        "resolutiondate", "timetoresolution", "resolvedon", "closed"),
        "status": ("status", "ticketstatus", "state"),
        "reopens": ("reopens", "reopencount", "reopened"),
        "transfers": ("transfers", "transfercount", "reassignments", "reassignmentcount"),
        "escalated": ("escalated", "isescalated", "escalation"),
        "self_served": ("selfserved", "selfservice", "botresolved"),
        "first_contact_resolved": ("firstcontactresolved", "fcr", "resolvedonfirstcontact"),
        "handle_seconds": ("handleseconds", "handletime", "aht", "talktime"),
        "hold_seconds": ("holdseconds", "holdtime"),
        "csat": ("csat", "customersatisfactionrating", "satisfactionrating", "satisfaction",
                 "rating", "satisfactionscore", "reviewscore"),
        "ces": ("ces", "customereffortscore", "effort", "effortscore"),
        "comment": ("comment", "surveycomment", "feedback", "reviewcommentmessage"),
    },
    "orders": {
        "order_id": ("orderid", "id", "ordernumber"),
        "customer_id": ("customerid", "customer", "clientid", "customeremail"),
        "ordered_at": ("orderedat", "orderdate", "orderpurchasetimestamp", "createdat", "date",
                       "purchasedate", "ordertimestamp"),
        "product": ("product", "productcategory", "category"),
        "region": ("region", "country", "state", "customerstate"),
        "amount": ("amount", "total", "ordertotal", "price", "value", "revenue"),
    },
    "reasons": {
        "reason": ("reason", "driver", "contactreason", "name"),
        "value_to_customer": ("valuetocustomer", "customervalue"),
        "value_to_business": ("valuetobusiness", "businessvalue"),
        "preventable": ("preventable", "ispreventable"),
        "external": ("external", "isexternal"),
    },
    "root_causes": {
        "cause_id": ("causeid", "rootcauseid", "id", "rcid", "key"),
        "title": ("title", "rootcause", "cause", "problem", "summary", "name"),
        "reasons": ("reasons", "reason", "contactreasons", "drivers", "driver"),
        "owner": ("owner", "assignee", "responsible", "assignedto"),
        "status": ("status", "state"),
        "identified_on": ("identifiedon", "identified", "dateidentified", "identifieddate",
                          "openedon", "created", "createdon"),
        "fixed_on": ("fixedon", "fixed", "datefixed", "fixeddate", "eliminatedon",
                     "resolvedon"),
        "notes": ("notes", "note", "comments", "comment", "description"),
    },
}  # fmt: skip

# Event logs: the event's own fields first (so they claim their columns), then any contact
# field as a case attribute (cxdash.importer.events).
SYNONYMS["events"] = {
    "case_id": ("caseid", "caseconceptname", "case", "number", "ticketid", "incidentid",
                "srnumber", "conversationid"),
    "timestamp": ("timestamp", "timetimestamp", "eventtime", "time", "sysupdatedat",
                  "updatedat", "updated", "changedatetime", "date"),
    "activity": ("activity", "conceptname", "incidentstate", "state", "status", "event",
                 "value"),
    "group": ("group", "assignmentgroup", "team", "queue", "involvedst", "groupid"),
    "actor": ("actor", "resource", "orgresource", "assignedto", "agent", "assignee",
              "assigneeid"),
    **{f: a for f, a in SYNONYMS["contacts"].items()
       if f not in ("contact_id", "first_response_at", "resolved_at", "reopens", "transfers",
                    "status", "team", "agent")},
}  # fmt: skip


# Conversation logs: the message's own fields, then contact fields as attributes
# (cxdash.importer.messages).
SYNONYMS["messages"] = {
    "message_id": ("messageid", "tweetid", "id", "msgid", "partid", "commentid"),
    "created_at": ("createdat", "created", "timestamp", "time", "date", "sentat", "datetime"),
    "inbound": ("inbound", "isinbound", "fromcustomer", "incoming", "iscustomer"),
    "author": ("author", "authorid", "sender", "senderid", "from", "user", "userid"),
    "text": ("text", "body", "message", "content", "messagetext"),
    "conversation_id": ("conversationid", "threadid", "ticketid", "chatid", "sessionid"),
    "reply_to": ("replyto", "inresponsetotweetid", "inresponseto", "inreplyto", "parentid",
                 "inreplytostatusid"),
    **{f: a for f, a in SYNONYMS["contacts"].items()
       if f not in ("contact_id", "created_at", "customer_id", "first_response_at",
                    "resolved_at", "comment", "agent", "transfers", "reopens", "status")},
}  # fmt: skip


def normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def auto_match(table: str, columns: list[str]) -> dict[str, str]:
    """field → source column, taking for each field the first synonym present, each source
    column used at most once (so 'id' is not both contact_id and customer_id)."""
    by_norm = {normalise(c): c for c in columns}
    used: set[str] = set()
    matched: dict[str, str] = {}
    for field, aliases in SYNONYMS[table].items():
        for alias in (normalise(field), *aliases):
            source = by_norm.get(alias)
            if source is not None and source not in used:
                matched[field] = source
                used.add(source)
                break
    return matched

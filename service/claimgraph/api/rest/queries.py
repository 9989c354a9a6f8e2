"""The REST lookups' SPARQL: constant texts, one per question, every value bound by substitution.

Paging is keyset paging: each list query computes a sort ?key per item and
keeps those after ?after, so a client can walk a list of any length while
every query stays bounded by the same constant LIMIT. A filter that is not
given is an unbound variable, and each filter is written to read "unbound"
as "any" (a triple pattern, or `!COALESCE(?x = ?x, false) || EXISTS {...}`;
`BOUND()` cannot see substituted values in pyoxigraph 0.5). The claims list,
the one that grows fastest, is assembled per combination of filters from
constant fragments instead (see claims_page), and the sentences list has a
second text for its mention filters: pyoxigraph joins in the order written
and evaluates an EXISTS of several patterns against the whole store.
"""

from __future__ import annotations

from functools import lru_cache

from .envelope import MAX_LIMIT
from .views import PREFIX_BLOCK

PAGE_LIMIT = MAX_LIMIT + 1  # one more than a page can hold tells whether there is a next page
NESTED_LIMIT = 200  # lists inside an item (mentions of an entity, ...) are capped and flagged


def _given(var: str) -> str:
    """SPARQL that is true only when the parameter ?var was bound."""
    return f"COALESCE(?{var} = ?{var}, false)"


def _pad(expr: str) -> str:
    # Zero-pad a number so its string sorts like the number (keys compare as strings).
    return f'SUBSTR(CONCAT("0000000000", STR({expr})), STRLEN(STR({expr})) + 1)'


AFTER = f"FILTER(!{_given('after')} || ?key > ?after)"

ENTITIES_PAGE = PREFIX_BLOCK + f"""
SELECT DISTINCT ?item ?key ?after ?type WHERE {{
  ?item cg:registerId ?rid ;
        cg:entityType ?type ;
        rdfs:label ?label .
  BIND(CONCAT(LCASE(STR(?label)), "\\t", STR(?rid)) AS ?key)
  {AFTER}
}} ORDER BY ?key LIMIT {PAGE_LIMIT}
"""

POLICIES_PAGE = PREFIX_BLOCK + f"""
SELECT DISTINCT ?item ?key ?after ?applied_by ?applied_to ?article WHERE {{
  ?item cg:entityType "Policy" ;
        cg:registerId ?rid ;
        rdfs:label ?label .
  # A direction is an article's framing (on its policy reference) or a sourced register fact.
  FILTER(!{_given('applied_by')} || EXISTS {{ ?item cg:appliedBy ?applied_by }}
         || EXISTS {{ ?ref cg:refersTo ?item ; cg:appliedBy ?applied_by }})
  FILTER(!{_given('applied_to')} || EXISTS {{ ?item cg:appliedTo ?applied_to }}
         || EXISTS {{ ?ref cg:refersTo ?item ; cg:appliedTo ?applied_to }})
  FILTER(!{_given('article')} || EXISTS {{ ?article cg:invokes/cg:refersTo ?item }})
  BIND(CONCAT(LCASE(STR(?label)), "\\t", STR(?rid)) AS ?key)
  {AFTER}
}} ORDER BY ?key LIMIT {PAGE_LIMIT}
"""

# A claims filter, when given, is a triple pattern; the page query is assembled from these constant
# fragments (never from client text), most selective first, because pyoxigraph joins in the order
# written and an EXISTS standing for an absent filter would visit every claim.
CLAIM_FILTERS = {
    "subject": "?item cg:about ?subject .",
    "topic": "?item cg:topic ?topic .",
    "claimant": "?item cg:claimant ?claimant .",
    "article": "?article cg:hasClaim ?item .",
    "kind": "?item cg:claimKind ?kind .",
    "stance": "?item cg:stance ?stance .",
    "attribution": "?item cg:attribution ?attribution .",
    "hedged": "?item cg:hedged ?hedged .",
}


@lru_cache(maxsize=None)
def claims_page(given: frozenset[str]) -> str:
    """The page query for one combination of filters (at most 2^8 distinct constant texts)."""
    unknown = given - set(CLAIM_FILTERS)
    if unknown:
        raise ValueError(f"no claims filter {sorted(unknown)}")
    names = [k for k in CLAIM_FILTERS if k in given]
    patterns = [CLAIM_FILTERS[k] for k in names]
    if "article" not in given:
        patterns.append(CLAIM_FILTERS["article"])
    projected = " ".join(f"?{k}" for k in names if k != "article")  # ?article is always projected
    where = "\n  ".join(patterns)
    return PREFIX_BLOCK + f"""
SELECT DISTINCT ?item ?key ?after ?article {projected} WHERE {{
  {where}
  ?item cg:quote ?span .
  ?span nif:beginIndex ?begin .
  BIND(CONCAT(STR(?article), "\\t", {_pad('?begin')}, "\\t", STR(?item)) AS ?key)
  {AFTER}
}} ORDER BY ?key LIMIT {PAGE_LIMIT}
"""


# The unfiltered claims list walks the articles in key order instead of sorting every claim per
# page: the next few articles after the cursor's (one row per article, cg:text being functional),
# then each one's claims (bounded by one article). A page costs O(articles), not O(claims).
ARTICLES_AFTER = PREFIX_BLOCK + f"""
SELECT ?article ?after WHERE {{
  ?article cg:text ?text .
  FILTER(!{_given('after')} || STR(?article) > ?after)
}} ORDER BY STR(?article) LIMIT 4
"""


# Time order across articles: earliest known time (or, lacking a start, the known end) first; undated
# events last; ties in the article's own order (as the build numbers them, triples/article.py).
EVENTS_PAGE = PREFIX_BLOCK + f"""
SELECT DISTINCT ?item ?key ?after ?article ?refers_to ?from ?to WHERE {{
  ?article cg:invokes ?item .
  ?item a cg:EventReference ;
        cg:position ?position .
  OPTIONAL {{ ?item cg:earliest ?earliest }}
  OPTIONAL {{ ?item cg:latest ?latest }}
  FILTER(!{_given('refers_to')} || EXISTS {{ ?item cg:refersTo ?refers_to }})
  FILTER(!{_given('from')} || STR(COALESCE(?latest, ?earliest)) >= ?from)
  FILTER(!{_given('to')} || STR(COALESCE(?earliest, ?latest)) <= ?to)
  BIND(CONCAT(COALESCE(STR(?earliest), STR(?latest), "9999"), "\\t", STR(?article), "\\t", {_pad('?position')}) AS ?key)
  {AFTER}
}} ORDER BY ?key LIMIT {PAGE_LIMIT}
"""

ARTICLES_PAGE = PREFIX_BLOCK + f"""
SELECT DISTINCT ?item ?key ?after ?publisher WHERE {{
  ?item a cg:Article .
  FILTER(!{_given('publisher')} || EXISTS {{ ?item schema:publisher ?publisher }})
  BIND(STR(?item) AS ?key)
  {AFTER}
}} ORDER BY ?key LIMIT {PAGE_LIMIT}
"""

SENTENCES_PAGE = PREFIX_BLOCK + f"""
SELECT DISTINCT ?item ?key ?after ?article WHERE {{
  ?article cg:hasSentence ?item .
  ?item cg:position ?position .
  BIND({_pad('?position')} AS ?key)
  {AFTER}
}} ORDER BY ?key LIMIT {PAGE_LIMIT}
"""

# The same list restricted by its mentions. A separate constant text rather than an EXISTS of several
# patterns, which pyoxigraph 0.5 evaluates against the whole store (1.7 s at 200k triples).
SENTENCES_MENTIONING_PAGE = PREFIX_BLOCK + f"""
SELECT DISTINCT ?item ?key ?after ?article ?mentions ?role WHERE {{
  ?article cg:hasSentence ?item .
  ?item cg:position ?position ;
        cg:hasMention ?m .
  ?m itsrdf:taIdentRef ?mentions .
  ?m cg:mentionRole ?role .
  BIND({_pad('?position')} AS ?key)
  {AFTER}
}} ORDER BY ?key LIMIT {PAGE_LIMIT}
"""

EXISTS_NODE = "SELECT ?node WHERE { ?node ?p ?o } LIMIT 1"

MENTIONS_IN_SENTENCE = PREFIX_BLOCK + f"""
SELECT ?sentence ?mention ?words ?begin ?end ?role ?entity ?entityLabel WHERE {{
  ?sentence cg:hasMention ?mention .
  ?mention nif:anchorOf ?words ;
           nif:beginIndex ?begin ;
           nif:endIndex ?end ;
           itsrdf:taIdentRef ?entity ;
           cg:mentionRole ?role .
  OPTIONAL {{ ?entity rdfs:label ?entityLabel }}
}} ORDER BY ?begin ?mention LIMIT {NESTED_LIMIT + 1}
"""

# The three lists below grow with the corpus (a state is mentioned in most articles): they take
# the first NESTED_LIMIT + 1 solutions the store yields, without ORDER BY (which would sort every
# mention of the entity on every request), and the caller sorts what it got. Up to the limit the
# result is the same as before; past it, the item says "truncated" and links to paged lists.
MENTIONS_OF_ENTITY = PREFIX_BLOCK + f"""
SELECT ?entity ?mention ?words ?begin ?end ?role ?sentence ?position ?sentenceText ?article WHERE {{
  ?mention itsrdf:taIdentRef ?entity ;
           nif:anchorOf ?words ;
           nif:beginIndex ?begin ;
           nif:endIndex ?end ;
           cg:mentionRole ?role ;
           nif:sentence ?sentence .
  ?sentence cg:position ?position ;
            nif:anchorOf ?sentenceText .
  ?article cg:hasSentence ?sentence .
}} LIMIT {NESTED_LIMIT + 1}
"""

CLAIMS_ABOUT_ENTITY = PREFIX_BLOCK + f"""
SELECT DISTINCT ?entity ?claim ?quote ?stance ?attribution ?kind ?claimant ?claimantLabel ?article ?begin WHERE {{
  ?claim cg:about ?entity ;
         cg:quote ?q ;
         cg:stance ?stance ;
         cg:attribution ?attribution ;
         cg:claimKind ?kind ;
         cg:claimant ?claimant .
  ?claimant rdfs:label ?claimantLabel .
  ?article cg:hasClaim ?claim .
  ?q nif:anchorOf ?quote ;
     nif:beginIndex ?begin .
}} LIMIT {NESTED_LIMIT + 1}
"""

CLAIMS_IN_SENTENCE = PREFIX_BLOCK + f"""
SELECT DISTINCT ?sentence ?claim ?begin WHERE {{
  ?claim a cg:Claim ;
         cg:inSentence ?sentence ;
         cg:quote/nif:beginIndex ?begin .
}} ORDER BY ?begin ?claim LIMIT {NESTED_LIMIT + 1}
"""

STATEMENTS_ABOUT = PREFIX_BLOCK + f"""
SELECT DISTINCT ?entity ?statement WHERE {{
  ?statement cg:statementAbout ?entity .
  OPTIONAL {{ ?statement dcterms:date ?date }}
}} ORDER BY ?date ?statement LIMIT {NESTED_LIMIT + 1}
"""

REFERENCES_TO = PREFIX_BLOCK + f"""
SELECT DISTINCT ?entity ?reference WHERE {{
  ?reference cg:refersTo ?entity .
}} LIMIT {NESTED_LIMIT + 1}
"""

# Counts of what one article holds, one small query each (a join of all five would multiply rows).
ARTICLE_COUNTS = {
    name: PREFIX_BLOCK + f"SELECT ?article (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {pattern} }} GROUP BY ?article LIMIT 1"
    for name, pattern in {
        "sentences": "?article cg:hasSentence ?x",
        "claims": "?article cg:hasClaim ?x",
        "mentions": "?article cg:hasSentence ?s . ?s cg:hasMention ?x",
        "events": "?article cg:invokes ?x . ?x a cg:EventReference",
        "policies": "?article cg:invokes ?x . ?x a cg:PolicyReference",
    }.items()
}


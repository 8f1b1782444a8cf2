"""Realistic demo data: an AI-platform team's people, services and a few months of incidents."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from rich.progress import track
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.auth import service as auth_service
from vigil.auth.models import User
from vigil.auth.roles import Role
from vigil.auth.schemas import TeamCreate, UserCreate
from vigil.cmdb import service as cmdb_service
from vigil.cmdb.schemas import CICreate
from vigil.core import clock
from vigil.core.actor import Actor, Channel
from vigil.core.db import Database
from vigil.incidents import service as incidents
from vigil.incidents.schemas import CommentCreate, IncidentCreate, IncidentNote, IncidentResolve

AGENTS = [
    ("alice.ng@example.com", "Alice Ng", "Platform"),
    ("bogdan.petrov@example.com", "Bogdan Petrov", "Database"),
    ("chen.wei@example.com", "Chen Wei", "AI Services"),
    ("dana.cohen@example.com", "Dana Cohen", "Platform"),
    ("emeka.obi@example.com", "Emeka Obi", "Service Desk"),
    ("farah.haddad@example.com", "Farah Haddad", "AI Services"),
]
REQUESTERS = [
    ("gita.rao@example.com", "Gita Rao"),
    ("hans.meier@example.com", "Hans Meier"),
    ("ines.lopez@example.com", "Ines Lopez"),
    ("jon.berg@example.com", "Jon Berg"),
    ("kemi.adeyemi@example.com", "Kemi Adeyemi"),
    ("liam.walsh@example.com", "Liam Walsh"),
]
#: (name, class, criticality, owner team): the AI platform's services and what they run on.
CIS = [
    ("AI Assistant", "business_service", 2, "AI Services"),
    ("Billing", "business_service", 1, "Platform"),
    ("Customer Portal", "business_service", 2, "Platform"),
    ("api-gateway", "technical_service", 2, "Platform"),
    ("auth-service", "application", 1, "Platform"),
    ("billing-service", "application", 2, "Platform"),
    ("llm-inference", "application", 2, "AI Services"),
    ("embedding-service", "application", 3, "AI Services"),
    ("ingress-nginx", "application", 2, "Platform"),
    ("postgres-primary", "database", 1, "Database"),
    ("postgres-replica", "database", 2, "Database"),
    ("redis-cache", "database", 3, "Database"),
    ("qdrant", "database", 3, "AI Services"),
    ("neo4j", "database", 3, "Database"),
    ("elasticsearch", "database", 3, "Database"),
    ("k8s-prod", "technical_service", 2, "Platform"),
    ("gpu-node-01", "host", 2, "AI Services"),
    ("db-host-01", "host", 1, "Database"),
    ("core-switch-01", "network_device", 1, "Platform"),
    ("api.example.com TLS", "certificate", 2, "Platform"),
]
#: (source, kind, target)
RELATIONSHIPS = [
    ("AI Assistant", "depends_on", "llm-inference"),
    ("AI Assistant", "depends_on", "embedding-service"),
    ("AI Assistant", "depends_on", "api-gateway"),
    ("Billing", "depends_on", "billing-service"),
    ("Customer Portal", "depends_on", "api-gateway"),
    ("Customer Portal", "depends_on", "auth-service"),
    ("api-gateway", "depends_on", "ingress-nginx"),
    ("api-gateway", "depends_on", "auth-service"),
    ("ingress-nginx", "depends_on", "api.example.com TLS"),
    ("auth-service", "depends_on", "postgres-primary"),
    ("auth-service", "depends_on", "redis-cache"),
    ("billing-service", "depends_on", "postgres-primary"),
    ("llm-inference", "depends_on", "qdrant"),
    ("embedding-service", "depends_on", "qdrant"),
    ("llm-inference", "runs_on", "gpu-node-01"),
    ("embedding-service", "runs_on", "k8s-prod"),
    ("auth-service", "runs_on", "k8s-prod"),
    ("billing-service", "runs_on", "k8s-prod"),
    ("ingress-nginx", "runs_on", "k8s-prod"),
    ("postgres-replica", "depends_on", "postgres-primary"),
    ("postgres-primary", "hosted_on", "db-host-01"),
    ("neo4j", "hosted_on", "db-host-01"),
    ("elasticsearch", "runs_on", "k8s-prod"),
    ("gpu-node-01", "connects_to", "core-switch-01"),
    ("db-host-01", "connects_to", "core-switch-01"),
    ("gpu-node-01", "part_of", "k8s-prod"),
]
# (title, category, CI, group, usual impact, usual urgency): the seed's top-10 runbooks and their kin.
SCENARIOS = [
    ("Database connection timeout", "Database", "postgres-primary", "Database", "high", "high"),
    ("API Gateway 503 errors", "API", "api-gateway", "Platform", "high", "high"),
    ("AI service not responding", "AI Services", "llm-inference", "AI Services", "high", "medium"),
    ("Neo4j high memory usage", "Database", "neo4j", "Database", "medium", "medium"),
    ("Qdrant indexing slow", "AI Services", "qdrant", "AI Services", "medium", "low"),
    ("Elasticsearch cluster red", "Database", "elasticsearch", "Database", "high", "medium"),
    ("Redis out of memory", "Database", "redis-cache", "Database", "medium", "high"),
    ("Kubernetes pod crash loop", "Infrastructure", "k8s-prod", "Platform", "medium", "medium"),
    ("SSL certificate expiration warning", "Infrastructure", "ingress-nginx", "Platform", "low", "medium"),
    ("Suspected DDoS on public API", "API", "api-gateway", "Platform", "high", "high"),
    ("Invoice totals wrong for annual plans", "Billing", "billing-service", "Service Desk", "medium", "low"),
    ("Embedding latency above 2 s", "AI Services", "embedding-service", "AI Services", "low", "medium"),
    ("Login fails for SSO users", "Other", "auth-service", "Service Desk", "medium", "high"),
]
FIXES = [
    "Restarted the affected pods and confirmed recovery on the dashboard.",
    "Raised the connection pool limit and recycled idle connections.",
    "Rolled back the last deployment; error rate back to baseline.",
    "Added capacity and rebalanced shards.",
    "Renewed the certificate and reloaded the ingress.",
]


def load(db: Database, *, incidents: int = 300, days: int = 120, seed: int = 7) -> int:
    """Create the demo world unless it exists; returns how many incidents were created (0 if present)."""
    with db.unit_of_work() as session:
        if session.scalars(select(User).where(User.email == AGENTS[0][0])).first() is not None:
            return 0
        admin = auth_service.operator_actor(session, Channel.CLI)
        _people_and_things(session, admin)
    rng = random.Random(seed)
    end = clock.now()
    start = end - timedelta(days=days)
    stamps = sorted(start + timedelta(seconds=rng.uniform(0, days * 86400)) for _ in range(incidents))
    try:
        for at in track(stamps, description="Creating demo incidents"):
            with db.unit_of_work() as session:
                _one_incident(session, rng, at, end)
    finally:
        clock.reset_clock()
    return incidents


def _people_and_things(session: Session, admin: Actor) -> None:
    for email, name, _ in AGENTS:
        auth_service.create_user(
            session=session, actor=admin, data=UserCreate(email=email, display_name=name, role=Role.AGENT)
        )
    for email, name in REQUESTERS:
        auth_service.create_user(
            session=session, actor=admin, data=UserCreate(email=email, display_name=name)
        )
    for team in sorted({g for *_, g in AGENTS}):
        members = [e for e, _, g in AGENTS if g == team]
        auth_service.create_team(
            session=session, actor=admin, data=TeamCreate(name=team, members=members, manager=members[0])
        )
    cis = {
        name: cmdb_service.create(
            session=session,
            actor=admin,
            data=CICreate(name=name, ci_class=ci_class, criticality=criticality, owner_team=team),
        )
        for name, ci_class, criticality, team in CIS
    }
    for source, kind, target in RELATIONSHIPS:
        cmdb_service.add(session, admin, cis[source], kind, cis[target])


def _at(moment: datetime) -> None:
    clock.set_clock(lambda: moment)


def _one_incident(session: Session, rng: random.Random, at: datetime, end: datetime) -> None:
    title, category, ci, group, impact, urgency = rng.choice(SCENARIOS)
    if rng.random() < 0.3:
        impact = rng.choice(["high", "medium", "low"])
    members = [e for e, _, g in AGENTS if g == group]
    agent_email = rng.choice(members)
    users = {u.email: u for u in session.scalars(select(User))}
    requester = users[rng.choice(REQUESTERS)[0]]
    agent = users[agent_email]
    as_requester = auth_service.actor_for(requester, Channel.WEB)
    as_agent = auth_service.actor_for(agent, Channel.WEB)
    _at(at)
    inc = incidents.create(
        session=session,
        actor=auth_service.operator_actor(session, Channel.API),
        data=IncidentCreate(
            title=title,
            description=f"Reported by {requester.display_name}: {title.lower()}.",
            category=category,
            impact=impact,
            urgency=urgency,
            requester=requester.email,
            assignment_group=group,
            affected_cis=[ci],
            tags=[ci.split("-")[0]],
        ),
    )
    scale = {"P1": 0.5, "P2": 3, "P3": 24, "P4": 72}[inc.priority]
    t = at + timedelta(minutes=rng.uniform(2, 30 * scale))
    if t >= end or rng.random() < 0.06:
        return  # still open
    _at(t)
    incidents.acknowledge(
        session=session, actor=as_agent, ref=inc.id, data=IncidentNote(note="Looking into it.")
    )
    if rng.random() < 0.4:
        _at(t + timedelta(minutes=rng.uniform(1, 60)))
        incidents.add_comment(
            session=session,
            actor=as_agent,
            ref=inc.id,
            data=CommentCreate(body="Checked dashboards and logs; narrowing down.", internal=True),
        )
    if rng.random() < 0.1:
        _at(t + timedelta(minutes=61))
        incidents.hold(
            session=session, actor=as_agent, ref=inc.id, data=IncidentNote(note="Waiting for the vendor.")
        )
        if rng.random() < 0.5:
            return
        incidents.resume(session=session, actor=as_agent, ref=inc.id)
    t = t + timedelta(hours=rng.uniform(0.2, 2.0) * scale * 4)
    if t >= end or rng.random() < 0.08:
        return  # still being worked
    _at(t)
    incidents.resolve(
        session=session,
        actor=as_agent,
        ref=inc.id,
        data=IncidentResolve(resolution_notes=rng.choice(FIXES), resolution_code="fixed"),
    )
    t = t + timedelta(hours=rng.uniform(1, 96))
    if t < end:
        _at(t)
        incidents.close(session=session, actor=as_requester, ref=inc.id)


__all__ = ["load", "UTC"]

"""Skill sets: each distinct set of required skills is one small row that claims filter on."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.db.models import SkillSet


def normalise(skills: Iterable[str]) -> list[str]:
    return sorted({s.strip().lower() for s in skills if s and s.strip()})


def skill_key(skills: Iterable[str]) -> str:
    return "|".join(normalise(skills))


def skill_set_id(session: Session, skills: Iterable[str]) -> int:
    """Id of the row for this set of skills, created on first use (safe against a concurrent insert)."""
    key = skill_key(skills)
    found = session.scalar(select(SkillSet.id).where(SkillSet.key == key))
    if found is not None:
        return found
    from ccctl.db.upsert import insert_or_skip

    made = insert_or_skip(session, SkillSet, dict(key=key, skills=normalise(skills)), conflict=("key",),
                          returning=SkillSet.id)
    return made if made is not None else session.scalar(select(SkillSet.id).where(SkillSet.key == key))


_ALL_SETS = select(SkillSet.id, SkillSet.skills)


def allowed_skill_sets(session: Session, agent_skills: Iterable[str]) -> list[int]:
    """Ids of the skill sets an agent with ``agent_skills`` covers (every required skill held)."""
    held = set(normalise(agent_skills))
    return [set_id for set_id, skills in session.execute(_ALL_SETS) if set(skills) <= held]

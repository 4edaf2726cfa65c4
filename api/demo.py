"""Realistic demo data, loaded through the same services as real input so every status is derived.

Deterministic (seeded) and relative to `today`, so the statuses shown are current whatever the date.
"""
import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from api.db.models import Institution, InstitutionCreate, InstitutionKind, PractitionerCreate, StaffCategory
from api.ledger import service as ledger
from api.ledger.schemas import (
    PointRecordCreate,
    RegistrationCreate,
    RepairCreate,
    ReviewCreate,
    SuspensionDecisionCreate,
)
from api.practitioners.service import create_institution, create_practitioner
from points import Policy, ReviewOutcome

ACTOR = "demo"
INSTITUTIONS = [
    ("H11010500001", "北京市朝阳区第一医院", InstitutionKind.HOSPITAL, "110105"),
    ("H11010800002", "北京市海淀区中医医院", InstitutionKind.HOSPITAL, "110108"),
    ("P11010500003", "北京朝阳百姓大药房", InstitutionKind.PHARMACY, "110105"),
    ("H12010100001", "天津市和平区人民医院", InstitutionKind.HOSPITAL, "120101"),
    ("H12010400002", "天津市南开区社区卫生服务中心", InstitutionKind.HOSPITAL, "120104"),
    ("P12010100003", "天津和平仁心药店", InstitutionKind.PHARMACY, "120101"),
    ("H31010100001", "上海市黄浦区中心医院", InstitutionKind.HOSPITAL, "310101"),
    ("P31010100002", "上海黄浦益民药房", InstitutionKind.PHARMACY, "310101"),
    ("H44010600001", "广州市天河区人民医院", InstitutionKind.HOSPITAL, "440106"),
    ("H44010600002", "广州市天河区妇幼保健院", InstitutionKind.HOSPITAL, "440106"),
    ("P44010600003", "广州天河康宁大药房", InstitutionKind.PHARMACY, "440106"),
    ("H34182100001", "郎溪县人民医院", InstitutionKind.HOSPITAL, "341821"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红玉兰海燕雪梅晓东慧琳博文子涵思远"
CATEGORY_BY_PREFIX = {"D": [StaffCategory.MEDICAL] * 6 + [StaffCategory.NURSING] * 2 + [StaffCategory.SETTLEMENT_REVIEW],
                      "HY": [StaffCategory.PHARMACY] * 3 + [StaffCategory.PHARMACY_PRINCIPAL],
                      "HJ": [StaffCategory.TECHNICAL]}


@dataclass
class DemoReport:
    institutions: int = 0
    practitioners: int = 0
    records: int = 0


class _Loader:
    def __init__(self, session: Session, policy: Policy, today: date, seed: int):
        self.session, self.policy, self.today, self.rnd = session, policy, today, random.Random(seed)
        self.report = DemoReport()
        self.home: dict[str, str] = {}   # practitioner -> first institution
        self.case = 0

    def institutions(self) -> None:
        for code, name, kind, region in INSTITUTIONS:
            create_institution(self.session, ACTOR, InstitutionCreate(code=code, name=name, kind=kind, region=region))
            self.report.institutions += 1

    def people(self, count: int) -> list[str]:
        codes = []
        for n in range(1, count + 1):
            institution = self.rnd.choice(INSTITUTIONS)
            prefix = "HY" if institution[2] is InstitutionKind.PHARMACY else self.rnd.choice(["D"] * 8 + ["HJ"])
            code = f"{prefix}{institution[3]}{n:06d}"
            name = self.rnd.choice(SURNAMES) + "".join(self.rnd.sample(GIVEN, self.rnd.choice([1, 2])))
            category = self.rnd.choice(CATEGORY_BY_PREFIX[prefix])
            create_practitioner(self.session, ACTOR, PractitionerCreate(code=code, name=name, category=category),
                                self.policy)
            since = self.today - timedelta(days=self.rnd.randint(400, 2500))
            self._register(code, institution[0], since)
            if prefix == "D" and self.rnd.random() < 0.12:  # 多点执业: a second hospital
                other = self.rnd.choice([i for i in INSTITUTIONS if i[2] is InstitutionKind.HOSPITAL])
                if other[0] != institution[0]:
                    self._register(code, other[0], since + timedelta(days=self.rnd.randint(30, 300)))
            self.home[code] = institution[0]
            codes.append(code)
        self.report.practitioners = len(codes)
        return codes

    def _register(self, code: str, institution: str, since: date) -> None:
        ledger.register(self.session, ACTOR, RegistrationCreate(
            practitioner_code=code, institution_code=institution, starts_on=since), self.policy, self.today)

    def record(self, code: str, violation: str, points: int, days_ago: int) -> int:
        self.case += 1
        row = ledger.record_points(self.session, ACTOR, PointRecordCreate(
            practitioner_code=code, institution_code=self.home[code], violation_code=violation, points=points,
            decision_date=self.today - timedelta(days=days_ago), case_number=f"医保处〔{self.today.year}〕{self.case:04d}号",
            authority="市医疗保障局"), self.policy, self.today)
        self.report.records += 1
        return row.id

    def records(self, code: str, *entries: tuple[str, int, int]) -> None:
        for violation, points, days_ago in entries:
            self.record(code, violation, points, days_ago)

    def decide(self, code: str, trigger: int, months: int, days_ago: int) -> None:
        decided = self.today - timedelta(days=days_ago)
        ledger.decide_suspension(self.session, ACTOR, code, SuspensionDecisionCreate(
            trigger_record_id=trigger, months=months, decided_on=decided, reason="demo: 按情节决定暂停期限"),
            self.policy, self.today)

    def scenarios(self, codes: list[str]) -> None:
        """Named people reaching each rung; the rest get occasional light points."""
        def by_region(prefix):
            return [c for c in codes if c[-12:-6].startswith(prefix) and c.startswith("D")]
        tianjin, others = by_region("12"), by_region("11") + by_region("31") + by_region("44")
        # Tianjin: talk notice at 6; suspended, then repaired below 9 (the suspension runs to its end).
        self.records(tianjin[0], ("H01", 4, 40), ("L01", 2, 20))
        self.records(tianjin[1], ("H02", 5, 30), ("H03", 4, 25))
        ledger.add_repair(self.session, ACTOR, tianjin[1], RepairCreate(
            activity_date=self.today - timedelta(days=10), activity="参加医保政策宣传活动"), self.policy, self.today)
        # Suspended now, with decided lengths.
        for i, code in enumerate(others[0:5]):
            self.record(code, "H01", 5, 12 + i)
            self.decide(code, self.record(code, "H02", 4, 8 + i), 1 + i, 6 + i)
        # Suspension already over (decided long ago, 1 month).
        for code in others[5:7]:
            self.record(code, "S01", 9, 75)
        # Terminated: accumulated (9 then 3) and in one record (fraud, 12).
        for code in others[7:9]:
            self.records(code, ("H01", 5, 50), ("H03", 4, 45), ("L02", 3, 15))
        self.record(others[9], "F01", 12, 5)
        # An appeal that annulled the record that had suspended the person.
        self.record(others[10], "H01", 5, 40)
        annulled = self.record(others[10], "H02", 4, 35)
        ledger.review_record(self.session, ACTOR, annulled, ReviewCreate(
            outcome=ReviewOutcome.ANNUL, decided_on=self.today - timedelta(days=3),
            reason="复核: 证据不足, 撤销记分"), self.policy, self.today)
        # Background: light points this year for about one in six.
        day_of_year = (self.today - date(self.today.year, 1, 1)).days
        for code in codes[40:]:
            if self.rnd.random() < 1 / 6:
                self.record(code, self.rnd.choice(["L01", "L02", "L03"]), self.rnd.randint(1, 3),
                            self.rnd.randint(0, day_of_year))


def load_demo(session: Session, policy: Policy, today: date, people: int = 300, seed: int = 2025) -> DemoReport:
    """Loads once: a database that already has institutions is left as it is (report of zeros)."""
    if session.scalars(select(Institution.id)).first() is not None:
        return DemoReport()
    loader = _Loader(session, policy, today, seed)
    loader.institutions()
    loader.scenarios(loader.people(people))
    return loader.report


def demo_tokens(session: Session, key: bytes) -> list[tuple[str, str]]:
    """One token per kind of user, to try the API with the demo data."""
    from api.auth.service import issue_token
    from api.auth.tokens import Role
    from api.db.models import Practitioner

    suspended = session.scalars(select(Practitioner.code).where(Practitioner.status == "suspended")
                                .order_by(Practitioner.code)).first()
    wanted = [("supervisor, national", Role.SUPERVISOR, "000000", "国家医保局 演示"),
              ("supervisor, Beijing", Role.SUPERVISOR, "110000", "北京市医保局 演示"),
              ("institution H11010500001", Role.INSTITUTION, "H11010500001", "北京市朝阳区第一医院"),
              (f"practitioner {suspended} (suspended)", Role.PRACTITIONER, suspended, suspended),
              ("settlement system", Role.SETTLEMENT, "000000", "结算系统 演示")]
    return [(label, issue_token(session, key, ACTOR, role, scope, name)[0]) for label, role, scope, name in wanted]

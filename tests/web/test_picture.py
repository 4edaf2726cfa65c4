"""The timeline picture's geometry, from a PersonView, without a database."""
from datetime import date

from api.people.schemas import PersonView, RegistrationView, SanctionView, YearView
from api.web.picture import CHART_BOTTOM, LEFT, MAX_YEARS, person_picture


def view(years=(), sanctions=(), registered=date(2024, 3, 1), as_of=date(2026, 3, 1)) -> PersonView:
    return PersonView(
        code="D110105000123", name="王伟", category="medical", region="110105", as_of=as_of, status="normal",
        until=None, eligible_again_on=None, may_register_from=None, year=as_of.year, points_this_year=0,
        repair_left_this_year=0, years=[YearView(year=y, recorded=n, repaired=0, net=n) for y, n in years],
        records=[], sanctions=list(sanctions), notices=[],
        registrations=[RegistrationView(id=1, institution_code="H11010500001", starts_on=registered, ends_on=None)],
        notifications=[])


def sanction(kind, starts, ends, revoked=False) -> SanctionView:
    return SanctionView(kind=kind, year=starts.year, ordinal=1, decided_on=starts, starts_on=starts, ends_on=ends,
                        months=1 if kind == "suspension" else None, months_decided=True, trigger_record_id=1,
                        single_record=False, cut_short_by=None, revoked=revoked, revoked_reason=None)


def test_one_bar_per_year_from_registration_to_this_year_with_heights_proportional_to_points():
    picture = person_picture(view(years=[(2025, 4), (2026, 9)]), suspend_at=9, terminate_at=12)
    assert [b.year for b in picture.bars] == [2024, 2025, 2026]
    bars = {b.year: b for b in picture.bars}
    assert bars[2024].height == 0
    assert abs(bars[2026].height / bars[2025].height - 9 / 4) < 0.01  # rounded to 0.1 px
    assert [b.level for b in picture.bars] == ["ok", "ok", "suspend"]
    assert all(b.y + b.height == CHART_BOTTOM for b in picture.bars)


def test_threshold_lines_sit_at_the_bar_height_of_their_points():
    picture = person_picture(view(years=[(2026, 9)]), suspend_at=9, terminate_at=12)
    suspend, terminate = picture.lines
    assert (suspend.kind, suspend.value, terminate.kind, terminate.value) == ("suspend", 9, "terminate", 12)
    assert suspend.y == picture.bars[-1].y  # a 9-point bar reaches the suspension line
    assert terminate.y < suspend.y


def test_a_ban_stretches_the_picture_to_its_end_and_a_suspension_sits_inside_its_year():
    picture = person_picture(view(years=[(2026, 12)], sanctions=[
        sanction("suspension", date(2026, 1, 11), date(2026, 2, 10)),
        sanction("termination", date(2026, 2, 21), date(2027, 2, 20))]), suspend_at=9, terminate_at=12)
    assert picture.bars[-1].year == 2027
    assert picture.bars[-2].level == "terminate"
    suspended, banned = picture.spans
    assert (suspended.kind, banned.kind) == ("suspended", "banned")
    year_2026 = next(t for t in picture.ticks if t.year == 2026).x
    year_2027 = next(t for t in picture.ticks if t.year == 2027).x
    assert year_2026 < suspended.x < suspended.x + suspended.width < banned.x < year_2027 < banned.x + banned.width
    assert year_2026 < picture.today_x < year_2027


def test_revoked_sanctions_are_not_drawn_and_old_years_are_cut_to_the_last_ten():
    picture = person_picture(view(registered=date(2001, 1, 1), sanctions=[
        sanction("suspension", date(2026, 1, 11), date(2026, 2, 10), revoked=True)]), suspend_at=9, terminate_at=12)
    assert picture.spans == []
    assert len(picture.bars) == MAX_YEARS and picture.bars[0].year == 2026 - MAX_YEARS + 1
    assert picture.ticks[0].x == LEFT

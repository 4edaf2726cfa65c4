from points.privacy import mask_id_numbers


def test_id_numbers_are_masked_keeping_region_and_check_digit():
    assert mask_id_numbers("身份证110105199001011234, 另一个 44030619851231002X。") == (
        "身份证110105***********4, 另一个 440306***********X。")


def test_other_numbers_are_left_alone():
    text = "案号 京朝医保罚〔2026〕17号; 人员代码 D110105000123; 电话 13800138000; 金额 1100000000000000000"
    assert mask_id_numbers(text) == text


def test_log_records_are_masked(caplog):
    import logging

    from api.logs import install_masking

    install_masking()
    with caplog.at_level(logging.INFO, logger="points"):
        logging.getLogger("points").info("objection from %s", "110105199001011234")
    assert "110105***********4" in caplog.text and "199001011234" not in caplog.text

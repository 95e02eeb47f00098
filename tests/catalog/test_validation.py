"""Bad catalog input: every case names the file, the line, the resource and field, and says what
is allowed. One bad file never hides problems in, or stops, the others."""

from __future__ import annotations

from pathlib import Path

from gongshu.catalog import load_catalog, validate_files, validate_paths

from .conftest import line_of


def errors_of(path: Path, *others: Path):
    loaded = {item.path: item for item in validate_files([path, *others])}
    return loaded[path].errors


def test_base_catalog_is_valid(write, base_text):
    path = write(base_text)
    [loaded] = validate_files([path])
    assert loaded.errors == []
    assert loaded.ok
    assert [r.id for r in loaded.catalog.resources] == ["enterprise_registry", "admin_license"]


def test_yaml_syntax_error_names_line(write, base_text):
    text = base_text.replace("    level: L1\n    primary_key: [uscc]", "    level: L1\n    primary_key: [uscc")
    path = write(text)
    [err] = errors_of(path)
    assert err.code == "CATALOG_YAML_SYNTAX"
    assert err.file == path
    # the parser notices the unclosed flow sequence on the line after it
    assert err.line in (line_of(text, "primary_key: [uscc"), line_of(text, "primary_key: [uscc") + 1)
    assert "YAML syntax error" in str(err) and str(path) in str(err)


def test_unknown_key_suggests_the_right_one(write, base_text):
    text = base_text.replace("    summary: 全市", "    sumary: 全市")
    path = write(text)
    [err] = errors_of(path)
    assert err.code == "CATALOG_UNKNOWN_KEY"
    assert (err.line, err.column) == (line_of(text, "sumary"), 5)
    assert err.resource == "enterprise_registry"
    assert err.suggestion == "summary"
    assert "did you mean 'summary'" in str(err)
    assert f"{path}:{err.line}:5: error: resource 'enterprise_registry': unknown key 'sumary'" in str(err)


def test_missing_required_key(write, base_text):
    text = base_text.replace("    update_cycle: 每周\n", "")
    path = write(text)
    [err] = errors_of(path)
    assert err.code == "CATALOG_MISSING_KEY"
    assert err.resource == "admin_license"
    assert "missing required key 'update_cycle'" in err.message
    assert err.line == line_of(text, "- id: admin_license")


def test_invalid_enumeration_lists_allowed_values(write, base_text):
    text = base_text.replace("share: {type: 有条件共享", "share: {type: 有条件分享")
    path = write(text)
    [err] = errors_of(path)
    assert err.code == "CATALOG_INVALID_VALUE"
    assert err.line == line_of(text, "有条件分享")
    assert err.allowed == ("无条件共享", "有条件共享", "不予共享")
    assert err.suggestion == "有条件共享"
    assert "共享类型" in str(err) and "allowed: 无条件共享, 有条件共享, 不予共享" in str(err)


def test_each_enumeration_is_checked(write, base_text):
    cases = {
        "    category: 法人\n": ("    category: 法人单位\n", "资源分类"),
        "    format: 数据库\n": ("    format: database\n", "资源格式"),
        "    update_cycle: 每日\n": ("    update_cycle: 每天\n", "更新周期"),
        "    open: {type: 无条件开放}\n    level: L1\n    primary_key: [uscc]": (
            "    open: {type: 完全开放}\n    level: L1\n    primary_key: [uscc]",
            "开放类型",
        ),
        "    level: L1\n    primary_key: [uscc]": ("    level: L5\n    primary_key: [uscc]", "分级"),
        "method: 接口}": ("method: API}", "共享方式"),
    }
    for old, (new, label) in cases.items():
        assert old in base_text
        path = write(base_text.replace(old, new, 1))
        errs = errors_of(path)
        assert len(errs) == 1, (new, [str(e) for e in errs])
        assert label in str(errs[0]) and "allowed:" in str(errs[0]), str(errs[0])


def test_unknown_field_kind(write, base_text):
    text = base_text.replace("label: 企业名称, kind: text", "label: 企业名称, kind: string")
    path = write(text)
    [err] = errors_of(path)
    assert err.code == "CATALOG_INVALID_VALUE"
    assert (err.resource, err.field) == ("enterprise_registry", "company_name")
    assert err.line == line_of(text, "kind: string")
    assert "field kind" in err.message and "uscc" in err.allowed


def test_duplicate_resource_id(write, base_text):
    text = base_text.replace("  - id: admin_license", "  - id: enterprise_registry")
    path = write(text)
    [err] = errors_of(path)
    assert err.code == "CATALOG_DUPLICATE_RESOURCE"
    assert err.line == line_of(text, "name: 行政许可信息") - 1
    assert f"first at line {line_of(text, '- id: enterprise_registry')}" in err.message


def test_primary_key_naming_a_missing_field(write, base_text):
    text = base_text.replace("primary_key: [license_no]", "primary_key: [licence_no]")
    path = write(text)
    [err] = errors_of(path)
    assert err.code == "CATALOG_PK_UNKNOWN_FIELD"
    assert err.resource == "admin_license"
    assert err.line == line_of(text, "licence_no")
    assert err.suggestion == "license_no"
    assert "primary key 'licence_no' is not a field" in str(err)


def test_department_uscc_with_wrong_check_character(write, base_text):
    good = base_text.split("uscc: ")[1].split("\n")[0]
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    text = base_text.replace(good, wrong)
    path = write(text)
    [err] = errors_of(path)
    assert err.code == "CATALOG_USCC_CHECKSUM"
    assert err.line == 4
    assert f"the first 17 characters give '{good[17]}'" in err.message


def test_source_file_that_does_not_exist(write, base_text):
    text = base_text.replace("data/enterprise_registry.csv", "data/missing.csv")
    path = write(text)
    [err] = errors_of(path)
    assert err.code == "CATALOG_SOURCE_MISSING"
    assert err.resource == "enterprise_registry"
    assert err.line == line_of(text, "data/missing.csv")
    assert "data/missing.csv" in err.message


def test_two_departments_with_the_same_id(write, base_text):
    first = write(base_text, "scjgj.yaml")
    second = write(base_text.replace("name: 台州市市场监督管理局", "name: 台州市市场监管局"), "scjgj_copy.yaml")
    loaded = {item.path: item for item in validate_files([first, second])}
    assert loaded[first].errors == []
    [err] = loaded[second].errors
    assert err.code == "CATALOG_DUPLICATE_DEPARTMENT"
    assert str(first) in err.message
    assert err.line == 2


def test_empty_file(write):
    path = write("")
    [err] = errors_of(path)
    assert err.code == "CATALOG_EMPTY_FILE" and str(path) in str(err)
    comments_only = write("# 台州市某局\n# TODO\n", "only_comments.yaml")
    [err] = errors_of(comments_only)
    assert err.code == "CATALOG_EMPTY_FILE"


def test_file_that_is_not_utf8(write, base_text):
    path = write(base_text.encode("gbk"))
    [err] = errors_of(path)
    assert err.code == "CATALOG_NOT_UTF8"
    assert err.line == 3  # the first non-ASCII byte is in the department name
    assert "GBK" in err.message


def test_secrets_never_in_a_catalog(write, base_text):
    text = base_text.replace(
        "    source:\n      kind: csv\n      path: data/enterprise_registry.csv\n      encoding: auto\n",
        "    source:\n      kind: sql\n      url: mysql+pymysql://etl:s3cret@10.0.0.5/front\n      table: t_enterprise\n",
    )
    path = write(text)
    [err] = errors_of(path)
    assert err.code == "CATALOG_SECRET"
    assert "url_env" in err.message and "s3cret" not in str(err)


def test_sensitive_resources_cannot_be_opened(write, base_text):
    text = base_text.replace("    level: L1\n    primary_key: [uscc]", "    level: L4\n    primary_key: [uscc]")
    [err] = errors_of(write(text))
    assert err.code == "CATALOG_LEVEL_OPEN" and "L4" in err.message
    text = base_text.replace("    level: L1\n    primary_key: [uscc]", "    level: L3\n    primary_key: [uscc]")
    [err] = errors_of(write(text))
    assert err.code == "CATALOG_LEVEL_OPEN" and err.allowed == ("有条件开放", "不予开放")


def test_enum_needs_values_and_alias_targets_must_be_values(write, base_text):
    text = base_text.replace("kind: enum, values: [存续, 注销]", "kind: enum")
    [err] = errors_of(write(text))
    assert err.code == "CATALOG_ENUM_VALUES" and err.field == "status"
    text = base_text.replace(
        "kind: enum, values: [存续, 注销]", "kind: enum, values: [存续, 注销], aliases: {存绪: [在营]}"
    )
    [err] = errors_of(write(text))
    assert err.suggestion == "存续"


def test_several_problems_in_one_file_are_all_reported_in_line_order(write, base_text):
    text = base_text.replace("    sumary", "    summary").replace("    summary: 全市", "    sumary: 全市")
    text = text.replace(
        "kind: text, required: true}\n      - {name: legal",
        "kind: txt, required: true}\n      - {name: legal",
    )
    text = text.replace("    update_cycle: 每周", "    update_cycle: 每星期")
    loaded = load_catalog(write(text))
    errs = validate_files([loaded.path])[0].errors
    assert [e.code for e in errs] == ["CATALOG_UNKNOWN_KEY", "CATALOG_INVALID_VALUE", "CATALOG_INVALID_VALUE"]
    assert [e.line for e in errs] == sorted(e.line for e in errs)


def test_one_bad_file_does_not_stop_the_others(write, base_text):
    good = write(base_text.replace("id: scjgj", "id: scjgj"), "scjgj.yaml")
    bad = write("department: {id: zhzfj, name: 台州市综合行政执法局\nresources: []\n", "zhzfj.yaml")
    loaded = {item.path: item for item in validate_paths([good.parent])}
    assert loaded[good].ok
    assert loaded[bad].errors and loaded[bad].errors[0].code == "CATALOG_YAML_SYNTAX"


def test_file_name_should_match_department_id(write, base_text):
    [loaded] = validate_files([write(base_text, "market.yaml")])
    assert loaded.errors == []
    [warning] = loaded.issues
    assert warning.severity == "warning" and "scjgj.yaml" in warning.message


def test_unquoted_all_digit_codes_stay_text(write, base_text):
    # 113310000026096536 is a valid all-digit USCC; YAML reads it unquoted as a number
    text = (
        base_text.split("  uscc: ")[0]
        + "  uscc: 113310000026096536\n  region_code: 331000\n"
        + (base_text.split("  uscc: ")[1].split("\n", 1)[1])
    )
    [loaded] = validate_files([write(text)])
    assert loaded.errors == []
    assert loaded.catalog.department.uscc == "113310000026096536"
    assert loaded.catalog.department.region_code == "331000"

"""docs/catalog-format.md lists every value the validator accepts, and every key of the model."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from gongshu.catalog import model, vocab

DOC = (Path(__file__).resolve().parents[2] / "docs" / "catalog-format.md").read_text(encoding="utf-8")


def test_every_vocabulary_value_is_documented():
    for name in (
        "Category",
        "Format",
        "UpdateCycle",
        "ShareType",
        "ShareMethod",
        "OpenType",
        "Level",
        "FieldKind",
        "Mask",
        "SourceKind",
        "Encoding",
        "Unit",
    ):
        for value in vocab.values_of(getattr(vocab, name)):
            assert value in DOC, f"{name} value '{value}' is missing from docs/catalog-format.md"


def test_every_key_is_documented():
    for cls in (
        model.Department,
        model.Resource,
        model.CatalogField,
        model.CsvSource,
        model.ExcelSource,
        model.SqlSource,
        model.HttpSource,
        model.Quality,
        model.Paging,
    ):
        assert issubclass(cls, BaseModel)
        for key in cls.model_fields:
            assert f"`{key}`" in DOC or f"`{key}." in DOC or f".{key}`" in DOC, (
                f"{cls.__name__}.{key} is missing from docs/catalog-format.md"
            )

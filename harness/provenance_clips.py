"""Clips that say where they came from, made at test time: tagged like ComfyUI's, labelled like
GB 45438-2025, or signed with C2PA content credentials by a test CA made with openssl.

A tag of any size goes in through an FFMETADATA file (a command-line argument is limited to
128 KiB), and an MP4 keeps custom tags only with ``-movflags use_metadata_tags``.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.clips import _ffmpeg, make_video

AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE_AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"

# A ComfyUI API-format graph: checkpoint → LoRA → two CLIPTextEncode → KSampler → decode → save.
COMFY_PROMPT: dict[str, Any] = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "wan2.1_t2v_14B.safetensors"}},
    "10": {
        "class_type": "LoraLoader",
        "inputs": {"lora_name": "film_grain_v2.safetensors", "strength_model": 0.8, "model": ["4", 0]},
    },
    "6": {
        "class_type": "CLIPTextEncode",
        "inputs": {"text": "a lighthouse in a storm at dusk, waves crashing", "clip": ["4", 1]},
    },
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry, watermark", "clip": ["4", 1]}},
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 156680208700286,
            "steps": 30,
            "cfg": 6.5,
            "sampler_name": "uni_pc",
            "scheduler": "simple",
            "denoise": 1,
            "model": ["10", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["5", 0],
        },
    },
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
}

COMFY_WORKFLOW: dict[str, Any] = {
    "last_node_id": 10,
    "nodes": [
        {"id": 4, "type": "CheckpointLoaderSimple", "widgets_values": ["wan2.1_t2v_14B.safetensors"]},
        {"id": 6, "type": "CLIPTextEncode", "widgets_values": ["a lighthouse in a storm at dusk"]},
        {"id": 7, "type": "CLIPTextEncode", "widgets_values": ["blurry, watermark"]},
        {"id": 3, "type": "KSampler", "widgets_values": [156680208700286, "fixed", 30, 6.5]},
    ],
    "links": [[1, 6, 0, 3, 1, "CONDITIONING"]],
}


def tagged_clip(path: Path, tags: dict[str, str], *, source: Path | None = None) -> Path:
    """A clip (MP4 or WebM, by ``path``'s suffix) carrying ``tags`` in its container: ``source``
    (an MP4) remuxed, or a new one-second clip."""
    plain = source or make_video(path.with_name(path.stem + ".plain.mp4"), seconds=1, audio=False)
    metadata = path.with_name(path.stem + ".ffmetadata")
    lines = [";FFMETADATA1"] + [f"{_escape(key)}={_escape(value)}" for key, value in tags.items()]
    metadata.write_text("\n".join(lines) + "\n")
    if path.suffix == ".webm":
        codec = ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]
    else:
        codec = ["-c", "copy", "-movflags", "use_metadata_tags"]
    _ffmpeg("-i", str(plain), "-i", str(metadata), "-map", "0", "-map_metadata", "1", *codec, str(path))
    if source is None:
        plain.unlink()
    metadata.unlink()
    return path


def _escape(text: str) -> str:
    for special in ("\\", "=", ";", "#", "\n"):
        text = text.replace(special, "\\" + special)
    return text


def comfy_tags(prompt: Any = None, workflow: Any = None) -> dict[str, str]:
    """ComfyUI's tags as its SaveVideo writes them: each graph as JSON text."""
    return {
        "prompt": json.dumps(COMFY_PROMPT if prompt is None else prompt),
        "workflow": json.dumps(COMFY_WORKFLOW if workflow is None else workflow),
    }


@dataclass(frozen=True)
class SigningCA:
    """A root CA and a C2PA signing certificate it issued (ES256), as PEM files."""

    root: Path  # the CA's certificate: a trust anchor
    chain: Path  # the signer's certificate then the CA's
    key: Path  # the signer's private key, PKCS#8
    directory: Path  # also holds a timestamp authority's certificate and key (local_tsa)


def make_test_ca(directory: Path) -> SigningCA:
    """A CA and an end-entity certificate meeting C2PA's profile: digitalSignature key usage,
    the emailProtection extended key usage, not a CA itself, issued by (not equal to) the root."""
    directory.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True, timeout=60)

    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key")
    openssl(
        *("req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "3650"),
        *("-subj", "/CN=Reviewsvc Test Root CA/O=Reviewsvc Tests", "-out", "ca.pem"),
        *("-addext", "basicConstraints=critical,CA:TRUE"),
        *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
    )
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "signer.key")
    openssl(
        "req", "-new", "-key", "signer.key", "-subj", "/CN=Studio Signer/O=Test Studio", "-out", "signer.csr"
    )
    (directory / "signer.ext").write_text(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=emailProtection\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    openssl(
        *("x509", "-req", "-in", "signer.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"),
        *("-days", "365", "-sha256", "-extfile", "signer.ext", "-out", "signer.pem"),
    )
    chain = directory / "chain.pem"
    chain.write_text((directory / "signer.pem").read_text() + (directory / "ca.pem").read_text())
    # A timestamp authority the same CA issued (critical timeStamping EKU, as RFC 3161 requires).
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "tsa.key")
    openssl("req", "-new", "-key", "tsa.key", "-subj", "/CN=Test TSA/O=Reviewsvc Tests", "-out", "tsa.csr")
    (directory / "tsa.ext").write_text(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    openssl(
        *("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"),
        *("-days", "365", "-sha256", "-extfile", "tsa.ext", "-out", "tsa.pem"),
    )
    (directory / "tsa.cnf").write_text(
        "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\nserial = ./tsaserial\n"
        "signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256, sha384, sha512\n"
        "accuracy = secs:1\nordering = no\ntsa_name = no\ness_cert_id_chain = no\n"
        "ess_cert_id_alg = sha256\n"
    )
    (directory / "tsaserial").write_text("01\n")
    return SigningCA(
        root=directory / "ca.pem", chain=chain, key=directory / "signer.key", directory=directory
    )


@contextmanager
def local_tsa(ca: SigningCA) -> Iterator[str]:
    """An RFC 3161 timestamp authority on 127.0.0.1 (``openssl ts -reply``); yields its URL.
    Signing asks it for a timestamp; reading never does: the token is in the manifest."""

    class Authority(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with tempfile.TemporaryDirectory() as scratch:
                (Path(scratch) / "query.tsq").write_bytes(query)
                subprocess.run(
                    [
                        *("openssl", "ts", "-reply", "-config", str(ca.directory / "tsa.cnf")),
                        *(
                            "-queryfile",
                            str(Path(scratch) / "query.tsq"),
                            "-out",
                            str(Path(scratch) / "reply.tsr"),
                        ),
                        *("-inkey", "tsa.key", "-signer", "tsa.pem", "-chain", "ca.pem"),
                    ],
                    cwd=ca.directory,
                    check=True,
                    capture_output=True,
                    timeout=60,
                )
                reply = (Path(scratch) / "reply.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Authority)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def sign_clip(
    source: Path,
    dest: Path,
    ca: SigningCA,
    *,
    source_type: str = AI_SOURCE,
    agent: str = "Sora",
    remote_url: str = "",
    tsa_url: str = "",
) -> Path:
    """``source`` (an MP4) signed into ``dest`` with a ``c2pa.created`` action of ``source_type``.
    With ``remote_url`` the manifest is not embedded: the file only points to it there. With
    ``tsa_url`` the signature is timestamped by that authority (see local_tsa)."""
    from c2pa import Builder, C2paSignerInfo, C2paSigningAlg, Context, Signer

    manifest = {
        "claim_generator_info": [{"name": "Test Generator", "version": "1.0"}],
        "title": source.name,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": source_type,
                            "softwareAgent": {"name": agent},
                        }
                    ]
                },
            }
        ],
    }
    info = C2paSignerInfo(
        C2paSigningAlg.ES256, ca.chain.read_bytes(), ca.key.read_bytes(), tsa_url.encode() or None
    )
    context = Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    with context, Signer.from_info(info) as signer, Builder(manifest, context) as builder:
        if remote_url:
            builder.set_no_embed()
            builder.set_remote_url(remote_url)
        with source.open("rb") as reading, dest.open("w+b") as writing:
            builder.sign(signer, "video/mp4", reading, writing)
    return dest


def alter_media(path: Path) -> Path:
    """Flip bytes inside the media data (the mdat box), after signing."""
    data = bytearray(path.read_bytes())
    start = data.find(b"mdat") + 200
    for offset in range(start, start + 64):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    return path

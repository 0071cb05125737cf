"""``caseflow identity-key rotate|reencrypt``: a new key for applicants' ID numbers, and the stored
numbers moved onto it (``caseflow.identity``: applicants and online applications alike)."""

from __future__ import annotations

import typer
from rich.console import Console

identity_app = typer.Typer(
    help="The key that encrypts applicants' ID numbers (outside the database).", no_args_is_help=True
)
out = Console()


@identity_app.command("rotate")
def rotate() -> None:
    """Add a new key for new ciphertexts (old ones stay readable; the commitment key stays, so
    look-ups and the evidence chain are unchanged), then re-encrypt every stored ID number under it:
    the applicants' and the online applications' (网上申请). Keep a backup of the key file."""
    from caseflow.identity import key_path, rotate_key

    kid = rotate_key()
    out.print(
        f"已启用新的身份证件号码加密密钥 {kid}（{key_path()}），旧密钥保留以便读取旧数据",
        highlight=False,
        soft_wrap=True,
    )
    reencrypt()


@identity_app.command("reencrypt")
def reencrypt() -> None:
    """Re-encrypt the ID numbers still under an older key (resumes an interrupted rotation)."""
    from caseflow.db import session_scope
    from caseflow.identity import load_keys
    from caseflow.identity import reencrypt as rewrite

    with session_scope() as session:
        done = rewrite(session)
    out.print(
        f"已用当前密钥 {load_keys(create=False).current} 重新加密 {done} 个证件号码"
        "（申请人及网上申请中的证件号码；其余已是当前密钥）",
        highlight=False,
        soft_wrap=True,
    )

"""Publishing a trained model folder to the Hugging Face Hub, and the errors a person can act on."""
from pathlib import Path

from huggingface_hub import HfApi, constants, get_token

from vae.checkpoint import CHECKPOINT_NAME
from vae.latent_stats import CLASS_STATS_NAME, TEST_LATENTS_NAME
from vae.mixture import MIXTURE_NAME
from vae.registry import SIDECAR_NAME
from vae.report import CURVE_NAME, METRICS_NAME, SAMPLES_NAME

PUBLISHED_FILES = [constants.CONFIG_NAME, constants.SAFETENSORS_SINGLE_FILE, METRICS_NAME, CLASS_STATS_NAME,
                   TEST_LATENTS_NAME, MIXTURE_NAME, SAMPLES_NAME, CURVE_NAME, constants.REPOCARD_NAME]
"""What a finished training folder holds and the Hub repo receives."""
OPTIONAL_FILES = [SIDECAR_NAME]
"""Uploaded too when the folder has them."""


class PushError(RuntimeError):
    """The upload failed; the message says what failed and how to retry. Local files are untouched."""


def push_folder(folder: Path, repo_id: str, private: bool = False, api: HfApi | None = None) -> str:
    """Create repo_id if missing and upload the folder's published files; return the commit URL.

    The token comes from HF_TOKEN or the cached `hf auth login` (HfApi's own lookup), so it never
    passes through our code or our messages.
    """
    folder = Path(folder)
    missing = [name for name in PUBLISHED_FILES if not (folder / name).is_file()]
    if missing:
        raise PushError(f"{folder} is not a finished training folder: missing {', '.join(missing)}.")
    api = api or HfApi()
    retry = f"Your files are intact in {folder}; retry with: python train.py --push-only {folder} --push-to-hub {repo_id}"
    try:
        api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        commit = api.upload_folder(
            repo_id=repo_id, folder_path=str(folder), allow_patterns=PUBLISHED_FILES + OPTIONAL_FILES,
            ignore_patterns=[CHECKPOINT_NAME], commit_message="Upload VAE Digit Studio model",
        )
    except Exception as error:  # network, auth, rights: all end the same way for the user
        raise PushError(f"Push to the Hub repo '{repo_id}' failed: {describe_error(error)}. {retry}") from None
    return str(getattr(commit, "commit_url", commit))


def describe_error(error: Exception) -> str:
    """'Type: message' on one line, with the Hub token, if one is configured, replaced by ***: never print a secret."""
    reason = " ".join(f"{type(error).__name__}: {error}".split())  # HTTP errors span lines: status, link, server text
    try:
        token = get_token()
    except Exception:  # a broken token source must not hide the push error itself
        token = None
    return reason.replace(token, "***") if token else reason

"""The model folder's JSON configs (config.json, generation_config.json, preprocessor_config.json).

Every size the model or a runner needs is written here and read back from here: image size, mean and
std, token ids, layer and head counts. Defaults are the demo model's (small enough to train on 2 CPU
cores); the real Florence-2-base numbers are in `docs/florence2-formats.md` section 1 for comparison.
"""
from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

from .tokenizer import ByteTokenizer

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

# docs/florence2-formats.md section 3: the same strings the real processor carries.
TASK_PROMPTS_WITHOUT_INPUTS = {
    "<OCR>": "What is the text in the image?",
    "<OCR_WITH_REGION>": "What is the text in the image, with regions?",
    "<CAPTION>": "What does the image describe?",
    "<DETAILED_CAPTION>": "Describe in detail what is shown in the image.",
    "<MORE_DETAILED_CAPTION>": "Describe with a paragraph what is shown in the image.",
    "<OD>": "Locate the objects with category name in the image.",
    "<DENSE_REGION_CAPTION>": "Locate the objects in the image, with their descriptions.",
    "<REGION_PROPOSAL>": "Locate the region proposals in the image.",
}
TASK_PROMPTS_WITH_INPUT = {
    "<CAPTION_TO_PHRASE_GROUNDING>": "Locate the phrases in the caption: {input}",
    "<REFERRING_EXPRESSION_SEGMENTATION>": "Locate {input} in the image with mask",
    "<REGION_TO_SEGMENTATION>": "What is the polygon mask of region {input}",
    "<OPEN_VOCABULARY_DETECTION>": "Locate {input} in the image.",
    "<REGION_TO_CATEGORY>": "What is the region {input}?",
    "<REGION_TO_DESCRIPTION>": "What does the region {input} describe?",
    "<REGION_TO_OCR>": "What text is in the region {input}?",
}
TASKS_ANSWER_POST_PROCESSING_TYPE = {
    "<OCR>": "pure_text",
    "<OCR_WITH_REGION>": "ocr",
    "<CAPTION>": "pure_text",
    "<DETAILED_CAPTION>": "pure_text",
    "<MORE_DETAILED_CAPTION>": "pure_text",
    "<OD>": "description_with_bboxes",
    "<DENSE_REGION_CAPTION>": "description_with_bboxes",
    "<CAPTION_TO_PHRASE_GROUNDING>": "phrase_grounding",
    "<REFERRING_EXPRESSION_SEGMENTATION>": "polygons",
    "<REGION_TO_SEGMENTATION>": "polygons",
    "<OPEN_VOCABULARY_DETECTION>": "description_with_bboxes_or_polygons",
    "<REGION_TO_CATEGORY>": "pure_text",
    "<REGION_TO_DESCRIPTION>": "pure_text",
    "<REGION_TO_OCR>": "pure_text",
    "<REGION_PROPOSAL>": "bboxes",
}


@dataclass
class ModelDims:
    """The architecture knobs. `vocab_size` comes from the tokenizer, never from here."""
    image_size: int = 256
    vision_channels: List[int] = field(default_factory=lambda: [32, 64, 96, 128])
    patch_stride: int = 32  # the conv stem's total stride: 4 * 2 * 2 * (patch_stride / 16); 16 or 32
    d_model: int = 128
    encoder_layers: int = 2
    decoder_layers: int = 2
    attention_heads: int = 4
    ffn_dim: int = 512
    max_position_embeddings: int = 512
    scale_embedding: bool = False
    dropout: float = 0.1
    # Pre-LN encoder / decoder layers (x + f(LN(x)), one LayerNorm after the last layer) instead of BART's post-LN
    # LN(x + f(x)): see docs/decisions.md, "Why the demo captioner ignored its image". Off by default so
    # older model.pt / config.json files load and export as before; only written to config.json when on.
    encoder_pre_ln: bool = False
    decoder_pre_ln: bool = False
    # The image token before the patch tokens: their mean (Florence-2's) or their max, which keeps a
    # small object's features undiluted by the background patches.
    global_token: str = "mean"
    # "conv": 4 plain convs (7x7 stride 4 first); "bn": the demo detector's kind of stem, 3x3 conv +
    # BatchNorm + SiLU blocks (stride 2 first), which learns shapes on the demo world in hundreds of steps.
    vision_stem: str = "conv"

    def __post_init__(self):
        if self.patch_stride not in (16, 32):
            raise ValueError(f"patch_stride {self.patch_stride} is not one the conv stem can make (16 or 32)")
        if self.image_size % self.patch_stride:
            raise ValueError(f"image_size {self.image_size} is not a multiple of the stem stride {self.patch_stride}")
        if self.d_model % self.attention_heads:
            raise ValueError(f"d_model {self.d_model} is not divisible by attention_heads {self.attention_heads}")
        if self.max_position_embeddings <= self.num_image_tokens:
            raise ValueError(f"max_position_embeddings {self.max_position_embeddings} leaves no room for a prompt "
                             f"after the {self.num_image_tokens} image tokens")
        if self.global_token not in ("mean", "max"):
            raise ValueError(f"global_token {self.global_token!r} is not 'mean' or 'max'")
        if self.vision_stem not in ("conv", "bn"):
            raise ValueError(f"vision_stem {self.vision_stem!r} is not 'conv' or 'bn'")
        if len(self.vision_channels) != 4:
            raise ValueError(f"vision_channels needs 4 stages, got {self.vision_channels}")

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_stride

    @property
    def num_image_tokens(self) -> int:
        return 1 + self.grid * self.grid

    @property
    def head_dim(self) -> int:
        return self.d_model // self.attention_heads


# Fields added after models were committed: left out of the written dims while at their default, so an
# older model exports byte-identical configs.
LATER_FIELDS = {"encoder_pre_ln": False, "decoder_pre_ln": False, "global_token": "mean", "vision_stem": "conv"}


def dims_dict(dims: ModelDims) -> dict:
    return {k: v for k, v in asdict(dims).items() if k not in LATER_FIELDS or v != LATER_FIELDS[k]}


# The real Florence-2 bans repeated 3-grams of BPE tokens (about three words). Here a token is a byte,
# so a 3-gram ban forbids any repeated 3 letters ("the", " a ", "cir"): long captions came out garbled
# ("Thre two squares", "largee") and brief ones swapped repeated words for wrong ones. The demo world's
# texts repeat phrases by design, so no ban (docs/decisions.md, "Byte-level decoding, long texts and
# the world's more detailed texts").
NO_REPEAT_NGRAM_SIZE = 0


def model_config(dims: ModelDims, tok: ByteTokenizer) -> dict:
    ids = dict(bos_token_id=tok.bos_id, pad_token_id=tok.pad_id, eos_token_id=tok.eos_id,
               decoder_start_token_id=tok.eos_id, forced_bos_token_id=tok.bos_id, forced_eos_token_id=tok.eos_id)
    text = dict(
        model_type="florence2_language", vocab_size=len(tok), d_model=dims.d_model,
        encoder_layers=dims.encoder_layers, decoder_layers=dims.decoder_layers,
        encoder_attention_heads=dims.attention_heads, decoder_attention_heads=dims.attention_heads,
        encoder_ffn_dim=dims.ffn_dim, decoder_ffn_dim=dims.ffn_dim,
        max_position_embeddings=dims.max_position_embeddings, scale_embedding=dims.scale_embedding,
        activation_function="gelu", dropout=dims.dropout, is_encoder_decoder=True,
        no_repeat_ngram_size=NO_REPEAT_NGRAM_SIZE, num_beams=3, **ids,
    )
    vision = dict(
        model_type="fld_conv_stem",  # not DaViT: see docs/decisions.md, "Florence-2-layout spike"
        image_size=dims.image_size, channels=list(dims.vision_channels), patch_stride=dims.patch_stride,
        projection_dim=dims.d_model,
    )
    return dict(
        architectures=["Florence2ForConditionalGeneration"], model_type="florence2", is_encoder_decoder=True,
        vocab_size=len(tok), projection_dim=dims.d_model, num_image_tokens=dims.num_image_tokens,
        ignore_index=-100, text_config=text, vision_config=vision, torch_dtype="float32", **ids,
        fld_dims=dims_dict(dims),
    )


def generation_config(tok: ByteTokenizer) -> dict:
    return dict(
        bos_token_id=tok.bos_id, decoder_start_token_id=tok.eos_id, eos_token_id=tok.eos_id,
        forced_bos_token_id=tok.bos_id, forced_eos_token_id=tok.eos_id, pad_token_id=tok.pad_id,
        early_stopping=True, no_repeat_ngram_size=NO_REPEAT_NGRAM_SIZE, num_beams=3,
    )  # no max_length, like the real file: runners must pass max_new_tokens (transformers.js defaults to 20)


def preprocessor_config(dims: ModelDims) -> dict:
    return dict(
        processor_class="Florence2Processor", image_processor_type="CLIPImageProcessor",
        do_resize=True, size={"height": dims.image_size, "width": dims.image_size}, resample=3,
        do_center_crop=False, crop_size={"height": dims.image_size, "width": dims.image_size},
        do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
        image_mean=IMAGENET_MEAN, image_std=IMAGENET_STD, do_convert_rgb=True,
        image_seq_length=dims.num_image_tokens,
        task_prompts_without_inputs=copy.deepcopy(TASK_PROMPTS_WITHOUT_INPUTS),
        task_prompts_with_input=copy.deepcopy(TASK_PROMPTS_WITH_INPUT),
        tasks_answer_post_processing_type=copy.deepcopy(TASKS_ANSWER_POST_PROCESSING_TYPE),
    )


def dims_from_config(cfg: Dict) -> ModelDims:
    """Reads the knobs back from a config.json written by `model_config`."""
    if cfg.get("model_type") != "florence2" or "fld_dims" not in cfg:
        raise ValueError("config.json is not a demo Florence-2-layout config (model_type florence2 with fld_dims)")
    return ModelDims(**cfg["fld_dims"])


def construct_prompt(task_and_input: str, preprocessor: Optional[Dict] = None) -> str:
    """The processor's prompt substitution (transformers.js `construct_prompts`): an exact task token
    without input, else the first task-with-input token found, else the text unchanged. The maps come
    from preprocessor_config.json when given."""
    without = (preprocessor or {}).get("task_prompts_without_inputs", TASK_PROMPTS_WITHOUT_INPUTS)
    with_input = (preprocessor or {}).get("task_prompts_with_input", TASK_PROMPTS_WITH_INPUT)
    if task_and_input in without:
        return without[task_and_input]
    for task, prompt in with_input.items():
        if task in task_and_input:
            return prompt.replace("{input}", task_and_input).replace(task, "")
    return task_and_input

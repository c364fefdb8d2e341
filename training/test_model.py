import torch

from model import ModelConfig, Transformer


def tiny(causal=False, **kw):
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=50, n_layer=2, n_head=2, d_model=32, d_ff=64, max_len=64, causal=causal, **kw)
    return Transformer(cfg).eval()


def inputs(B=3, L=11, seed=1):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 50, (B, L), generator=g)
    pos = torch.arange(L).expand(B, L).contiguous()
    return ids, pos, torch.ones(B, L, dtype=torch.long)


def test_shapes_and_tied_head():
    m = tiny()
    tok, stop, lengths = m(*inputs())
    assert tok.shape == (3, 11, 50) and stop.shape == (3, 2) and lengths is None
    assert m.head.weight is m.embed.weight


def test_length_head_is_nonnegative_per_row_and_follows_rows():
    m = tiny(length_head=True)
    ids, pos, mask = inputs()
    tok, stop, lengths = m(ids, pos, mask)
    assert lengths.shape == (3, 11) and (lengths >= 0).all()
    rows = torch.tensor([[4, 0], [10, 3], [1, 1]])
    tok_r, stop_r, lengths_r = m(ids, pos, mask, rows)
    assert torch.allclose(lengths_r, torch.gather(lengths, 1, rows), atol=1e-6)
    assert torch.allclose(tok_r, torch.gather(tok, 1, rows[:, :, None].expand(-1, -1, 50)), atol=1e-6)


def test_gap_marker_marks_the_allowed_or_asked_rows_and_never_cls():
    m = tiny(length_head=True, gap_marker=True)
    ids, pos, mask = inputs()
    with torch.no_grad():
        plain = tiny(length_head=True)
        plain.load_state_dict({k: v for k, v in m.state_dict().items() if k != "gap_embed"})
        # zero at first: a model trained without the marker starts out unchanged
        assert all(torch.allclose(a, b) for a, b in zip(m(ids, pos, mask)[:2], plain(ids, pos, mask)[:2]))
        m.gap_embed.normal_(0.0, 1.0)
        rows = torch.tensor([[4, 5, 0], [2, 2, 0], [0, 0, 0]])  # padded with row 0, as the engine does
        allowed = torch.zeros(3, 11, dtype=torch.bool)
        allowed[0, [4, 5]] = allowed[1, 2] = True
        full = m(ids, pos, mask, allowed=allowed)
        asked = m(ids, pos, mask, rows)
        assert torch.allclose(asked[0], torch.gather(full[0], 1, rows[:, :, None].expand(-1, -1, 50)), atol=1e-5)
        assert torch.allclose(asked[2], torch.gather(full[2], 1, rows), atol=1e-5)
        # row 0 is never a gap: marking it changes nothing; marking a body row changes the outputs
        with_cls = allowed.clone()
        with_cls[:, 0] = True
        assert torch.allclose(m(ids, pos, mask, allowed=with_cls)[0], full[0], atol=1e-6)
        assert not torch.allclose(m(ids, pos, mask)[0], full[0], atol=1e-3)  # default: every row marked


def test_position_shift_invariance():
    for causal in (False, True):
        m = tiny(causal)
        ids, pos, mask = inputs()
        a, sa, _ = m(ids, pos, mask)
        b, sb, _ = m(ids, pos + 37, mask)
        assert torch.allclose(a, b, atol=1e-4) and torch.allclose(sa, sb, atol=1e-4)


def test_positions_come_from_input_not_index():
    # Bidirectional: permuting tokens together with their positions permutes the outputs.
    m = tiny()
    ids, pos, mask = inputs(B=1, L=9)
    perm = torch.tensor([0, 5, 2, 8, 1, 3, 7, 6, 4])  # row 0 (CLS state) stays first for the stop head
    a, sa, _ = m(ids, pos, mask)
    b, sb, _ = m(ids[:, perm], pos[:, perm], mask)
    assert torch.allclose(a[:, perm], b, atol=1e-5) and torch.allclose(sa, sb, atol=1e-5)
    c = m(ids, pos.flip(1), mask)[0]  # same tensor order, other positions: different outputs
    assert (a - c).abs().max() > 1e-5


def test_padding_does_not_change_real_outputs():
    for causal in (False, True):
        m = tiny(causal)
        ids, pos, mask = inputs(B=2, L=12)
        mask[1, 7:] = 0
        ids[1, 7:] = 0
        full, stop, _ = m(ids, pos, mask)
        alone, stop_alone, _ = m(ids[1:, :7], pos[1:, :7], mask[1:, :7])
        assert torch.allclose(full[1, :7], alone[0], atol=1e-5)
        assert torch.allclose(stop[1], stop_alone[0], atol=1e-5)


def test_causal_ignores_future():
    m = tiny(True)
    ids, pos, mask = inputs(B=1, L=10)
    a = m(ids, pos, mask)[0]
    ids2 = ids.clone()
    ids2[0, 6:] = 7
    b = m(ids2, pos, mask)[0]
    assert torch.allclose(a[:, :6], b[:, :6], atol=1e-6) and (a[:, 6:] - b[:, 6:]).abs().max() > 1e-5


def test_kv_cache_decode_matches_forward():
    m = tiny(True)
    ids, pos, mask = inputs(B=2, L=9)
    full = m(ids, pos, mask)[0]
    H, hd = m.cfg.n_head, m.cfg.d_model // m.cfg.n_head
    past = [(torch.zeros(2, H, 0, hd), torch.zeros(2, H, 0, hd)) for _ in range(m.cfg.n_layer)]
    out = []
    for s, e in [(0, 4), (4, 5), (5, 9)]:  # a prompt chunk, then one token, then several
        logits, past = m.decode(ids[:, s:e], pos[:, s:e], mask[:, :e], past)
        out.append(logits)
    assert torch.allclose(torch.cat(out, 1), full, atol=1e-5)

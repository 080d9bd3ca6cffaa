;; A row's max and sum of exp(x - max) over float32 logits at address $row, for log-softmax (logits.ts).
;; Bit for bit what the JavaScript loops give: `max` keeps JavaScript's `if (x > m) m = x` (NaN never
;; wins; which of +0 / -0 wins cannot change a later result), and `sumExp` adds the terms one at a
;; time in index order into a float64, each term fdlibm's exp (V8's Math.exp) computed two lanes at a
;; time with the same IEEE operations in the same order as fdlibm-exp.ts. Arguments outside fdlibm's
;; main path [-708, -1.5 ln 2] go to the imported Math.exp.
;; Built into log-sum-exp-wasm.ts by `npm run build:wasm`.
(module
  (import "m" "exp" (func $mathExp (param f64) (result f64)))
  (memory (export "memory") 1)

  (func (export "max") (param $row i32) (param $n i32) (result f64)
    (local $i i32) (local $end i32) (local $acc v128) (local $m f32) (local $x f32)
    (local.set $acc (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ;; pmax(acc, x) = acc < x ? x : acc: a NaN x leaves acc
        (local.set $acc (f32x4.pmax (local.get $acc) (v128.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
    (local.set $m (f32.const -inf))
    (local.set $x (f32x4.extract_lane 0 (local.get $acc)))
    (if (f32.gt (local.get $x) (local.get $m)) (then (local.set $m (local.get $x))))
    (local.set $x (f32x4.extract_lane 1 (local.get $acc)))
    (if (f32.gt (local.get $x) (local.get $m)) (then (local.set $m (local.get $x))))
    (local.set $x (f32x4.extract_lane 2 (local.get $acc)))
    (if (f32.gt (local.get $x) (local.get $m)) (then (local.set $m (local.get $x))))
    (local.set $x (f32x4.extract_lane 3 (local.get $acc)))
    (if (f32.gt (local.get $x) (local.get $m)) (then (local.set $m (local.get $x))))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (f32.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))
        (if (f32.gt (local.get $x) (local.get $m)) (then (local.set $m (local.get $x))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (f64.promote_f32 (local.get $m)))

  ;; exp(d) for one argument: fdlibm's main path, else Math.exp
  (func $exp1 (param $d f64) (result f64)
    (local $k i32) (local $kf f64) (local $hi f64) (local $lo f64) (local $x f64) (local $t f64) (local $c f64)
    (if (result f64)
      (i32.and
        (f64.le (local.get $d) (f64.const -0x1.0a2b2p+0))
        (f64.ge (local.get $d) (f64.const -708)))
      (then
        (local.set $k (i32.trunc_f64_s
          (f64.sub (f64.mul (f64.const 0x1.71547652b82fep+0) (local.get $d)) (f64.const 0.5))))
        (local.set $kf (f64.convert_i32_s (local.get $k)))
        (local.set $hi (f64.sub (local.get $d) (f64.mul (local.get $kf) (f64.const 0x1.62e42feep-1))))
        (local.set $lo (f64.mul (local.get $kf) (f64.const 0x1.a39ef35793c76p-33)))
        (local.set $x (f64.sub (local.get $hi) (local.get $lo)))
        (local.set $t (f64.mul (local.get $x) (local.get $x)))
        (local.set $c (f64.sub (local.get $x) (f64.mul (local.get $t)
          (f64.add (f64.const 0x1.555555555553ep-3) (f64.mul (local.get $t)
          (f64.add (f64.const -0x1.6c16c16bebd93p-9) (f64.mul (local.get $t)
          (f64.add (f64.const 0x1.1566aaf25de2cp-14) (f64.mul (local.get $t)
          (f64.add (f64.const -0x1.bbd41c5d26bf1p-20) (f64.mul (local.get $t) (f64.const 0x1.6376972bea4d0p-25))))))))))))
        (f64.mul
          (f64.sub (f64.const 1)
            (f64.sub
              (f64.sub (local.get $lo)
                (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (f64.const 2) (local.get $c))))
              (local.get $hi)))
          (f64.reinterpret_i64 (i64.shl (i64.extend_i32_s (i32.add (local.get $k) (i32.const 1023))) (i64.const 52)))))
      (else (call $mathExp (local.get $d)))))

  ;; eight terms per turn as 4 independent lane pairs: the exps' long dependency chains overlap, and
  ;; only the sum (one add per term, in index order) stays serial
  (func (export "sumExp") (param $row i32) (param $n i32) (param $max f64) (result f64)
    (local $i i32) (local $sum f64) (local $mx v128)
    (local $da v128) (local $kfa v128) (local $hia v128) (local $loa v128) (local $xa v128) (local $ta v128) (local $ca v128) (local $ea v128) (local $db v128) (local $kfb v128) (local $hib v128) (local $lob v128) (local $xb v128) (local $tb v128) (local $cb v128) (local $eb v128) (local $dc v128) (local $kfc v128) (local $hic v128) (local $loc v128) (local $xc v128) (local $tc v128) (local $cc v128) (local $ec v128) (local $dd v128) (local $kfd v128) (local $hid v128) (local $lod v128) (local $xd v128) (local $td v128) (local $cd v128) (local $ed v128)
    (local.set $mx (f64x2.splat (local.get $max)))
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $n)))
        ;; float32 - float64 max: exact in float64, as in JavaScript
        (local.set $da (f64x2.sub
          (f64x2.promote_low_f32x4 (v128.load64_zero offset=0 (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))
          (local.get $mx)))
        (local.set $db (f64x2.sub
          (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))
          (local.get $mx)))
        (local.set $dc (f64x2.sub
          (f64x2.promote_low_f32x4 (v128.load64_zero offset=16 (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))
          (local.get $mx)))
        (local.set $dd (f64x2.sub
          (f64x2.promote_low_f32x4 (v128.load64_zero offset=24 (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))
          (local.get $mx)))
        (if (i64x2.all_true (v128.and (v128.and (v128.and (v128.and (f64x2.le (local.get $da) (v128.const f64x2 -0x1.0a2b2p+0 -0x1.0a2b2p+0)) (f64x2.ge (local.get $da) (v128.const f64x2 -708 -708))) (v128.and (f64x2.le (local.get $db) (v128.const f64x2 -0x1.0a2b2p+0 -0x1.0a2b2p+0)) (f64x2.ge (local.get $db) (v128.const f64x2 -708 -708)))) (v128.and (f64x2.le (local.get $dc) (v128.const f64x2 -0x1.0a2b2p+0 -0x1.0a2b2p+0)) (f64x2.ge (local.get $dc) (v128.const f64x2 -708 -708)))) (v128.and (f64x2.le (local.get $dd) (v128.const f64x2 -0x1.0a2b2p+0 -0x1.0a2b2p+0)) (f64x2.ge (local.get $dd) (v128.const f64x2 -708 -708)))))
          (then
            (local.set $kfa (f64x2.trunc (f64x2.sub (f64x2.mul (v128.const f64x2 0x1.71547652b82fep+0 0x1.71547652b82fep+0) (local.get $da)) (v128.const f64x2 0.5 0.5))))
            (local.set $hia (f64x2.sub (local.get $da) (f64x2.mul (local.get $kfa) (v128.const f64x2 0x1.62e42feep-1 0x1.62e42feep-1))))
            (local.set $loa (f64x2.mul (local.get $kfa) (v128.const f64x2 0x1.a39ef35793c76p-33 0x1.a39ef35793c76p-33)))
            (local.set $xa (f64x2.sub (local.get $hia) (local.get $loa)))
            (local.set $ta (f64x2.mul (local.get $xa) (local.get $xa)))
            (local.set $ca (f64x2.sub (local.get $xa) (f64x2.mul (local.get $ta)
              (f64x2.add (v128.const f64x2 0x1.555555555553ep-3 0x1.555555555553ep-3) (f64x2.mul (local.get $ta)
              (f64x2.add (v128.const f64x2 -0x1.6c16c16bebd93p-9 -0x1.6c16c16bebd93p-9) (f64x2.mul (local.get $ta)
              (f64x2.add (v128.const f64x2 0x1.1566aaf25de2cp-14 0x1.1566aaf25de2cp-14) (f64x2.mul (local.get $ta)
              (f64x2.add (v128.const f64x2 -0x1.bbd41c5d26bf1p-20 -0x1.bbd41c5d26bf1p-20) (f64x2.mul (local.get $ta) (v128.const f64x2 0x1.6376972bea4d0p-25 0x1.6376972bea4d0p-25))))))))))))
            (local.set $ea (f64x2.mul
              (f64x2.sub (v128.const f64x2 1 1)
                (f64x2.sub
                  (f64x2.sub (local.get $loa)
                    (f64x2.div (f64x2.mul (local.get $xa) (local.get $ca)) (f64x2.sub (v128.const f64x2 2 2) (local.get $ca))))
                  (local.get $hia)))
              (i64x2.shl (f64x2.add (local.get $kfa) (v128.const f64x2 0x1.00000000003ffp+52 0x1.00000000003ffp+52)) (i32.const 52))))
            (local.set $kfb (f64x2.trunc (f64x2.sub (f64x2.mul (v128.const f64x2 0x1.71547652b82fep+0 0x1.71547652b82fep+0) (local.get $db)) (v128.const f64x2 0.5 0.5))))
            (local.set $hib (f64x2.sub (local.get $db) (f64x2.mul (local.get $kfb) (v128.const f64x2 0x1.62e42feep-1 0x1.62e42feep-1))))
            (local.set $lob (f64x2.mul (local.get $kfb) (v128.const f64x2 0x1.a39ef35793c76p-33 0x1.a39ef35793c76p-33)))
            (local.set $xb (f64x2.sub (local.get $hib) (local.get $lob)))
            (local.set $tb (f64x2.mul (local.get $xb) (local.get $xb)))
            (local.set $cb (f64x2.sub (local.get $xb) (f64x2.mul (local.get $tb)
              (f64x2.add (v128.const f64x2 0x1.555555555553ep-3 0x1.555555555553ep-3) (f64x2.mul (local.get $tb)
              (f64x2.add (v128.const f64x2 -0x1.6c16c16bebd93p-9 -0x1.6c16c16bebd93p-9) (f64x2.mul (local.get $tb)
              (f64x2.add (v128.const f64x2 0x1.1566aaf25de2cp-14 0x1.1566aaf25de2cp-14) (f64x2.mul (local.get $tb)
              (f64x2.add (v128.const f64x2 -0x1.bbd41c5d26bf1p-20 -0x1.bbd41c5d26bf1p-20) (f64x2.mul (local.get $tb) (v128.const f64x2 0x1.6376972bea4d0p-25 0x1.6376972bea4d0p-25))))))))))))
            (local.set $eb (f64x2.mul
              (f64x2.sub (v128.const f64x2 1 1)
                (f64x2.sub
                  (f64x2.sub (local.get $lob)
                    (f64x2.div (f64x2.mul (local.get $xb) (local.get $cb)) (f64x2.sub (v128.const f64x2 2 2) (local.get $cb))))
                  (local.get $hib)))
              (i64x2.shl (f64x2.add (local.get $kfb) (v128.const f64x2 0x1.00000000003ffp+52 0x1.00000000003ffp+52)) (i32.const 52))))
            (local.set $kfc (f64x2.trunc (f64x2.sub (f64x2.mul (v128.const f64x2 0x1.71547652b82fep+0 0x1.71547652b82fep+0) (local.get $dc)) (v128.const f64x2 0.5 0.5))))
            (local.set $hic (f64x2.sub (local.get $dc) (f64x2.mul (local.get $kfc) (v128.const f64x2 0x1.62e42feep-1 0x1.62e42feep-1))))
            (local.set $loc (f64x2.mul (local.get $kfc) (v128.const f64x2 0x1.a39ef35793c76p-33 0x1.a39ef35793c76p-33)))
            (local.set $xc (f64x2.sub (local.get $hic) (local.get $loc)))
            (local.set $tc (f64x2.mul (local.get $xc) (local.get $xc)))
            (local.set $cc (f64x2.sub (local.get $xc) (f64x2.mul (local.get $tc)
              (f64x2.add (v128.const f64x2 0x1.555555555553ep-3 0x1.555555555553ep-3) (f64x2.mul (local.get $tc)
              (f64x2.add (v128.const f64x2 -0x1.6c16c16bebd93p-9 -0x1.6c16c16bebd93p-9) (f64x2.mul (local.get $tc)
              (f64x2.add (v128.const f64x2 0x1.1566aaf25de2cp-14 0x1.1566aaf25de2cp-14) (f64x2.mul (local.get $tc)
              (f64x2.add (v128.const f64x2 -0x1.bbd41c5d26bf1p-20 -0x1.bbd41c5d26bf1p-20) (f64x2.mul (local.get $tc) (v128.const f64x2 0x1.6376972bea4d0p-25 0x1.6376972bea4d0p-25))))))))))))
            (local.set $ec (f64x2.mul
              (f64x2.sub (v128.const f64x2 1 1)
                (f64x2.sub
                  (f64x2.sub (local.get $loc)
                    (f64x2.div (f64x2.mul (local.get $xc) (local.get $cc)) (f64x2.sub (v128.const f64x2 2 2) (local.get $cc))))
                  (local.get $hic)))
              (i64x2.shl (f64x2.add (local.get $kfc) (v128.const f64x2 0x1.00000000003ffp+52 0x1.00000000003ffp+52)) (i32.const 52))))
            (local.set $kfd (f64x2.trunc (f64x2.sub (f64x2.mul (v128.const f64x2 0x1.71547652b82fep+0 0x1.71547652b82fep+0) (local.get $dd)) (v128.const f64x2 0.5 0.5))))
            (local.set $hid (f64x2.sub (local.get $dd) (f64x2.mul (local.get $kfd) (v128.const f64x2 0x1.62e42feep-1 0x1.62e42feep-1))))
            (local.set $lod (f64x2.mul (local.get $kfd) (v128.const f64x2 0x1.a39ef35793c76p-33 0x1.a39ef35793c76p-33)))
            (local.set $xd (f64x2.sub (local.get $hid) (local.get $lod)))
            (local.set $td (f64x2.mul (local.get $xd) (local.get $xd)))
            (local.set $cd (f64x2.sub (local.get $xd) (f64x2.mul (local.get $td)
              (f64x2.add (v128.const f64x2 0x1.555555555553ep-3 0x1.555555555553ep-3) (f64x2.mul (local.get $td)
              (f64x2.add (v128.const f64x2 -0x1.6c16c16bebd93p-9 -0x1.6c16c16bebd93p-9) (f64x2.mul (local.get $td)
              (f64x2.add (v128.const f64x2 0x1.1566aaf25de2cp-14 0x1.1566aaf25de2cp-14) (f64x2.mul (local.get $td)
              (f64x2.add (v128.const f64x2 -0x1.bbd41c5d26bf1p-20 -0x1.bbd41c5d26bf1p-20) (f64x2.mul (local.get $td) (v128.const f64x2 0x1.6376972bea4d0p-25 0x1.6376972bea4d0p-25))))))))))))
            (local.set $ed (f64x2.mul
              (f64x2.sub (v128.const f64x2 1 1)
                (f64x2.sub
                  (f64x2.sub (local.get $lod)
                    (f64x2.div (f64x2.mul (local.get $xd) (local.get $cd)) (f64x2.sub (v128.const f64x2 2 2) (local.get $cd))))
                  (local.get $hid)))
              (i64x2.shl (f64x2.add (local.get $kfd) (v128.const f64x2 0x1.00000000003ffp+52 0x1.00000000003ffp+52)) (i32.const 52))))
            (local.set $sum (f64.add (local.get $sum) (f64x2.extract_lane 0 (local.get $ea))))
            (local.set $sum (f64.add (local.get $sum) (f64x2.extract_lane 1 (local.get $ea))))
            (local.set $sum (f64.add (local.get $sum) (f64x2.extract_lane 0 (local.get $eb))))
            (local.set $sum (f64.add (local.get $sum) (f64x2.extract_lane 1 (local.get $eb))))
            (local.set $sum (f64.add (local.get $sum) (f64x2.extract_lane 0 (local.get $ec))))
            (local.set $sum (f64.add (local.get $sum) (f64x2.extract_lane 1 (local.get $ec))))
            (local.set $sum (f64.add (local.get $sum) (f64x2.extract_lane 0 (local.get $ed))))
            (local.set $sum (f64.add (local.get $sum) (f64x2.extract_lane 1 (local.get $ed)))))
          (else
            (local.set $sum (f64.add (local.get $sum) (call $exp1 (f64x2.extract_lane 0 (local.get $da)))))
            (local.set $sum (f64.add (local.get $sum) (call $exp1 (f64x2.extract_lane 1 (local.get $da)))))
            (local.set $sum (f64.add (local.get $sum) (call $exp1 (f64x2.extract_lane 0 (local.get $db)))))
            (local.set $sum (f64.add (local.get $sum) (call $exp1 (f64x2.extract_lane 1 (local.get $db)))))
            (local.set $sum (f64.add (local.get $sum) (call $exp1 (f64x2.extract_lane 0 (local.get $dc)))))
            (local.set $sum (f64.add (local.get $sum) (call $exp1 (f64x2.extract_lane 1 (local.get $dc)))))
            (local.set $sum (f64.add (local.get $sum) (call $exp1 (f64x2.extract_lane 0 (local.get $dd)))))
            (local.set $sum (f64.add (local.get $sum) (call $exp1 (f64x2.extract_lane 1 (local.get $dd)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $next)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (f64.add (local.get $sum) (call $exp1
          (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2))))) (local.get $max)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (local.get $sum))

  ;; A beam's best `k` candidates over the row at $row (float32 logits, banned tokens already -inf):
  ;; score lp = logit - lse, candidate value v = sum + lp; the list at address 0 (v: float64 x k at 0,
  ;; lp: float64 x k at 1024, token: int32 x k at 2048; k <= 128) best first, a tie keeping the earlier
  ;; token, as search.ts's insert builds it when offered every token in order. Tokens not above $floor
  ;; (the list of all beams' last value, once full; NaN before) are left out: that list would refuse them.
  ;; Returns the count.
  (global $count (mut i32) (i32.const 0))
  (global $k (mut i32) (i32.const 0))
  ;; the full list's last value (-inf until the list is full)
  (global $last (mut f64) (f64.const -inf))
  ;; the last value of the list all beams fill (NaN while it is not full): a token not above it is out
  (global $floor (mut f64) (f64.const nan))

  ;; offers one token (search.ts #offer's body and #insert)
  (func $offer (param $tok i32) (param $lp f64) (param $v f64)
    (local $i i32) (local $j i32)
    ;; a full list's last settles most tokens; -inf scores (banned, or exp underflow) never enter
    (if (i32.or
          (i32.or (f64.eq (local.get $lp) (f64.const -inf)) (f64.le (local.get $v) (global.get $floor)))
          (i32.and (i32.eq (global.get $count) (global.get $k)) (f64.le (local.get $v) (global.get $last))))
      (then (return)))
    ;; i: the insert position, after every entry not below v
    (local.set $i (global.get $count))
    (block $found
      (loop $up
        (br_if $found (i32.eqz (local.get $i)))
        (br_if $found (i32.eqz (f64.lt
          (f64.load (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 3)))
          (local.get $v))))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $up)))
    (if (i32.ge_u (local.get $i) (global.get $k)) (then (return)))
    ;; shift the entries below down one (the last drops off a full list)
    (local.set $j (if (result i32) (i32.lt_u (global.get $count) (global.get $k))
      (then (global.get $count)) (else (i32.sub (global.get $k) (i32.const 1)))))
    (block $shifted
      (loop $shift
        (br_if $shifted (i32.le_u (local.get $j) (local.get $i)))
        (f64.store (i32.shl (local.get $j) (i32.const 3))
          (f64.load (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 3))))
        (f64.store offset=1024 (i32.shl (local.get $j) (i32.const 3))
          (f64.load offset=1024 (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 3))))
        (i32.store offset=2048 (i32.shl (local.get $j) (i32.const 2))
          (i32.load offset=2048 (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2))))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br $shift)))
    (f64.store (i32.shl (local.get $i) (i32.const 3)) (local.get $v))
    (f64.store offset=1024 (i32.shl (local.get $i) (i32.const 3)) (local.get $lp))
    (i32.store offset=2048 (i32.shl (local.get $i) (i32.const 2)) (local.get $tok))
    (if (i32.lt_u (global.get $count) (global.get $k))
      (then (global.set $count (i32.add (global.get $count) (i32.const 1)))))
    (if (i32.eq (global.get $count) (global.get $k))
      (then (global.set $last (f64.load (i32.shl (i32.sub (global.get $k) (i32.const 1)) (i32.const 3)))))))

  ;; offers token $tok of the row at $row
  (func $offerAt (param $row i32) (param $tok i32) (param $lse f64) (param $sum f64)
    (local $lp f64)
    (local.set $lp (f64.sub
      (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $tok) (i32.const 2)))))
      (local.get $lse)))
    (call $offer (local.get $tok) (local.get $lp) (f64.add (local.get $sum) (local.get $lp))))

  (func (export "topK") (param $row i32) (param $n i32) (param $lse f64) (param $sum f64) (param $k i32) (param $floor f64) (result i32)
    (local $tok i32) (local $lse2 v128) (local $sum2 v128) (local $t v128)
    (local $lpa v128) (local $lpb v128) (local $a i32)
    (global.set $count (i32.const 0))
    (global.set $k (local.get $k))
    (global.set $last (f64.const -inf))
    (global.set $floor (local.get $floor))
    (local.set $lse2 (f64x2.splat (local.get $lse)))
    (local.set $sum2 (f64x2.splat (local.get $sum)))
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (i32.add (local.get $tok) (i32.const 4)) (local.get $n)))
        ;; four tokens against the bar at once, with the same lp and v as one at a time: the floor, and
        ;; a full list's last (a NaN bar lets every token through to $offer, which settles it)
        (local.set $t (f64x2.splat
          (if (result f64) (i32.lt_u (global.get $count) (local.get $k))
            (then (global.get $floor))
            (else (if (result f64) (f64.ne (global.get $floor) (global.get $floor))
              (then (global.get $last))
              (else (f64.max (global.get $last) (global.get $floor))))))))
        (local.set $a (i32.add (local.get $row) (i32.shl (local.get $tok) (i32.const 2))))
        (local.set $lpa (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $a))) (local.get $lse2)))
        (local.set $lpb (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $a))) (local.get $lse2)))
        (if (v128.any_true (v128.or
              (v128.not (f64x2.le (f64x2.add (local.get $sum2) (local.get $lpa)) (local.get $t)))
              (v128.not (f64x2.le (f64x2.add (local.get $sum2) (local.get $lpb)) (local.get $t)))))
          (then
            (call $offerAt (local.get $row) (local.get $tok) (local.get $lse) (local.get $sum))
            (call $offerAt (local.get $row) (i32.add (local.get $tok) (i32.const 1)) (local.get $lse) (local.get $sum))
            (call $offerAt (local.get $row) (i32.add (local.get $tok) (i32.const 2)) (local.get $lse) (local.get $sum))
            (call $offerAt (local.get $row) (i32.add (local.get $tok) (i32.const 3)) (local.get $lse) (local.get $sum))))
        (local.set $tok (i32.add (local.get $tok) (i32.const 4)))
        (br $next)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $tok) (local.get $n)))
        (call $offerAt (local.get $row) (local.get $tok) (local.get $lse) (local.get $sum))
        (local.set $tok (i32.add (local.get $tok) (i32.const 1)))
        (br $tail)))
    (global.get $count))
)

;; SHA-256 of many short messages, four at a time in the lanes of i32x4 (FIPS 180-4), for image ids
;; (uri-ids.ts). The caller writes the messages' bytes anywhere past the blocks they will take from
;; $MESSAGES on (with room for the padding and for the reads below), and lists each one's offset and
;; byte length at $DESC; `hash(count)` lays them out in blocks, pads them (messages below 512 MiB),
;; and writes, per message, the first 64 bits of its digest: as 16 lower-case hex digits at
;; $HEX + 16 i, and as two words (H0, H1) at $RAW + 8 i. A lane whose message has fewer blocks than
;; the others of its group keeps its state through the extra blocks (bitselect on a lane mask); the
;; words it reads there are ignored but must be readable memory. Memory: 0 K (64 words, written by
;; the caller), 256 W (64 x v128), then $DESC, $HEX, $RAW, $MESSAGES.
;; Built into sha256-lanes-wasm.ts by `npm run build:wasm`.
(module
  (memory (export "memory") 2)
  (global $W i32 (i32.const 256))
  (global $DESC i32 (i32.const 1280))   ;; 1024 x (offset i32, blocks i32)
  (global $HEX i32 (i32.const 9472))    ;; 1024 x 16 bytes
  (global $RAW i32 (i32.const 25856))   ;; 1024 x 8 bytes
  (global $MESSAGES i32 (i32.const 65536))

  ;; Copies each message from where the caller wrote it (its descriptor's offset and byte length) to
  ;; its own blocks from $MESSAGES on, pads it (0x80, zeros, its bit length big-endian in the last 8
  ;; bytes) and rewrites its descriptor as (blocks' offset, block count).
  (func $layout (param $count i32)
    (local $i i32) (local $d i32) (local $len i32) (local $pos i32) (local $end i32) (local $bits i32)
    (local.set $pos (global.get $MESSAGES))
    (loop $next
      (local.set $d (i32.add (global.get $DESC) (i32.shl (local.get $i) (i32.const 3))))
      (local.set $len (i32.load offset=4 (local.get $d)))
      (memory.copy (local.get $pos) (i32.load (local.get $d)) (local.get $len))
      (local.set $end (i32.add (local.get $pos)
        (i32.shl (i32.add (i32.shr_u (i32.add (local.get $len) (i32.const 8)) (i32.const 6)) (i32.const 1)) (i32.const 6))))
      (i32.store8 (i32.add (local.get $pos) (local.get $len)) (i32.const 0x80))
      (memory.fill (i32.add (i32.add (local.get $pos) (local.get $len)) (i32.const 1)) (i32.const 0)
        (i32.sub (i32.sub (local.get $end) (i32.const 4)) (i32.add (i32.add (local.get $pos) (local.get $len)) (i32.const 1))))
      (local.set $bits (i32.shl (local.get $len) (i32.const 3)))
      (i32.store (i32.sub (local.get $end) (i32.const 4))
        (i32.or
          (i32.or (i32.shl (local.get $bits) (i32.const 24)) (i32.shr_u (local.get $bits) (i32.const 24)))
          (i32.or
            (i32.shl (i32.and (local.get $bits) (i32.const 0xff00)) (i32.const 8))
            (i32.and (i32.shr_u (local.get $bits) (i32.const 8)) (i32.const 0xff00)))))
      (i32.store (local.get $d) (local.get $pos))
      (i32.store offset=4 (local.get $d) (i32.shr_u (i32.sub (local.get $end) (local.get $pos)) (i32.const 6)))
      (local.set $pos (local.get $end))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $count)))))

  ;; 8 lower-case hex digits of w at address at
  (func $hex8 (param $w i32) (param $at i32)
    (local $j i32) (local $n i32)
    (loop $next
      (local.set $n (i32.and (i32.shr_u (local.get $w) (i32.sub (i32.const 28) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 15)))
      (i32.store8 (i32.add (local.get $at) (local.get $j))
        (i32.add (local.get $n) (select (i32.const 48) (i32.const 87) (i32.lt_u (local.get $n) (i32.const 10)))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $j) (i32.const 8)))))

  ;; message i's two digest words into the outputs
  (func $out (param $i i32) (param $h0 i32) (param $h1 i32)
    (call $hex8 (local.get $h0) (i32.add (global.get $HEX) (i32.shl (local.get $i) (i32.const 4))))
    (call $hex8 (local.get $h1) (i32.add (i32.add (global.get $HEX) (i32.shl (local.get $i) (i32.const 4))) (i32.const 8)))
    (i32.store (i32.add (global.get $RAW) (i32.shl (local.get $i) (i32.const 3))) (local.get $h0))
    (i32.store offset=4 (i32.add (global.get $RAW) (i32.shl (local.get $i) (i32.const 3))) (local.get $h1)))

  (func (export "hash") (param $count i32)
    (local $g i32) (local $b i32) (local $t i32) (local $maxb i32) (local $x i32)
    (local $i0 i32) (local $i1 i32) (local $i2 i32) (local $i3 i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $nb v128) (local $mask v128) (local $w v128) (local $v v128) (local $y v128)
    (local $t1 v128) (local $t2 v128)
    (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128)
    (local $h4 v128) (local $h5 v128) (local $h6 v128) (local $h7 v128)
    (local $a v128) (local $bb v128) (local $c v128) (local $d v128)
    (local $e v128) (local $f v128) (local $gg v128) (local $h v128)
    (local $last i32)
    (if (i32.eqz (local.get $count)) (then (return)))
    (call $layout (local.get $count))
    (local.set $last (i32.sub (local.get $count) (i32.const 1)))
    (loop $group
      ;; lanes past the end repeat the last message (its outputs are written twice, the same)
      (local.set $i0 (local.get $g))
      (local.set $i1 (select (i32.add (local.get $g) (i32.const 1)) (local.get $last) (i32.lt_u (i32.add (local.get $g) (i32.const 1)) (local.get $count))))
      (local.set $i2 (select (i32.add (local.get $g) (i32.const 2)) (local.get $last) (i32.lt_u (i32.add (local.get $g) (i32.const 2)) (local.get $count))))
      (local.set $i3 (select (i32.add (local.get $g) (i32.const 3)) (local.get $last) (i32.lt_u (i32.add (local.get $g) (i32.const 3)) (local.get $count))))
      (local.set $o0 (i32.load (i32.add (global.get $DESC) (i32.shl (local.get $i0) (i32.const 3)))))
      (local.set $o1 (i32.load (i32.add (global.get $DESC) (i32.shl (local.get $i1) (i32.const 3)))))
      (local.set $o2 (i32.load (i32.add (global.get $DESC) (i32.shl (local.get $i2) (i32.const 3)))))
      (local.set $o3 (i32.load (i32.add (global.get $DESC) (i32.shl (local.get $i3) (i32.const 3)))))
      (local.set $nb (i32x4.splat (i32.load offset=4 (i32.add (global.get $DESC) (i32.shl (local.get $i0) (i32.const 3))))))
      (local.set $nb (i32x4.replace_lane 1 (local.get $nb) (i32.load offset=4 (i32.add (global.get $DESC) (i32.shl (local.get $i1) (i32.const 3))))))
      (local.set $nb (i32x4.replace_lane 2 (local.get $nb) (i32.load offset=4 (i32.add (global.get $DESC) (i32.shl (local.get $i2) (i32.const 3))))))
      (local.set $nb (i32x4.replace_lane 3 (local.get $nb) (i32.load offset=4 (i32.add (global.get $DESC) (i32.shl (local.get $i3) (i32.const 3))))))
      (local.set $v (i32x4.max_u (local.get $nb) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $nb) (local.get $nb))))
      (local.set $v (i32x4.max_u (local.get $v) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $v) (local.get $v))))
      (local.set $maxb (i32x4.extract_lane 0 (local.get $v)))
      (local.set $h0 (i32x4.splat (i32.const 0x6a09e667)))
      (local.set $h1 (i32x4.splat (i32.const 0xbb67ae85)))
      (local.set $h2 (i32x4.splat (i32.const 0x3c6ef372)))
      (local.set $h3 (i32x4.splat (i32.const 0xa54ff53a)))
      (local.set $h4 (i32x4.splat (i32.const 0x510e527f)))
      (local.set $h5 (i32x4.splat (i32.const 0x9b05688c)))
      (local.set $h6 (i32x4.splat (i32.const 0x1f83d9ab)))
      (local.set $h7 (i32x4.splat (i32.const 0x5be0cd19)))
      (local.set $b (i32.const 0))
      (loop $block
        (local.set $mask (i32x4.gt_u (local.get $nb) (i32x4.splat (local.get $b))))
        ;; W[0..15]: the block's words, one lane per message
        (local.set $t (i32.const 0))
        (loop $load
          (local.set $x (i32.add (i32.shl (local.get $b) (i32.const 6)) (i32.shl (local.get $t) (i32.const 2))))
          (local.set $w (i32x4.splat (i32.load (i32.add (local.get $o0) (local.get $x)))))
          (local.set $w (i32x4.replace_lane 1 (local.get $w) (i32.load (i32.add (local.get $o1) (local.get $x)))))
          (local.set $w (i32x4.replace_lane 2 (local.get $w) (i32.load (i32.add (local.get $o2) (local.get $x)))))
          (local.set $w (i32x4.replace_lane 3 (local.get $w) (i32.load (i32.add (local.get $o3) (local.get $x)))))
          ;; the words are big-endian: reverse the bytes of each lane
          (local.set $w (i8x16.shuffle 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12 (local.get $w) (local.get $w)))
          (v128.store (i32.add (global.get $W) (i32.shl (local.get $t) (i32.const 4))) (local.get $w))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $load (i32.lt_u (local.get $t) (i32.const 16))))
        ;; W[16..63] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16]
        (loop $schedule
          (local.set $v (v128.load (i32.add (global.get $W) (i32.shl (i32.sub (local.get $t) (i32.const 2)) (i32.const 4)))))
          (local.set $y (v128.load (i32.add (global.get $W) (i32.shl (i32.sub (local.get $t) (i32.const 15)) (i32.const 4)))))
          (local.set $w
            (i32x4.add
              (i32x4.add
                (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $v) (i32.const 17)) (i32x4.shl (local.get $v) (i32.const 15))) (v128.or (i32x4.shr_u (local.get $v) (i32.const 19)) (i32x4.shl (local.get $v) (i32.const 13))))
                  (i32x4.shr_u (local.get $v) (i32.const 10)))
                (v128.load (i32.add (global.get $W) (i32.shl (i32.sub (local.get $t) (i32.const 7)) (i32.const 4)))))
              (i32x4.add
                (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $y) (i32.const 7)) (i32x4.shl (local.get $y) (i32.const 25))) (v128.or (i32x4.shr_u (local.get $y) (i32.const 18)) (i32x4.shl (local.get $y) (i32.const 14))))
                  (i32x4.shr_u (local.get $y) (i32.const 3)))
                (v128.load (i32.add (global.get $W) (i32.shl (i32.sub (local.get $t) (i32.const 16)) (i32.const 4)))))))
          (v128.store (i32.add (global.get $W) (i32.shl (local.get $t) (i32.const 4))) (local.get $w))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $schedule (i32.lt_u (local.get $t) (i32.const 64))))
        (local.set $a (local.get $h0))
        (local.set $bb (local.get $h1))
        (local.set $c (local.get $h2))
        (local.set $d (local.get $h3))
        (local.set $e (local.get $h4))
        (local.set $f (local.get $h5))
        (local.set $gg (local.get $h6))
        (local.set $h (local.get $h7))
        (local.set $t (i32.const 0))
        (loop $round
          ;; T1 = h + S1(e) + Ch(e, f, g) + K[t] + W[t]
          (local.set $t1
            (i32x4.add
              (i32x4.add (local.get $h)
                (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $e) (i32.const 6)) (i32x4.shl (local.get $e) (i32.const 26))) (v128.or (i32x4.shr_u (local.get $e) (i32.const 11)) (i32x4.shl (local.get $e) (i32.const 21))))
                  (v128.or (i32x4.shr_u (local.get $e) (i32.const 25)) (i32x4.shl (local.get $e) (i32.const 7)))))
              (i32x4.add (v128.bitselect (local.get $f) (local.get $gg) (local.get $e))
                (i32x4.add (v128.load32_splat (i32.shl (local.get $t) (i32.const 2)))
                  (v128.load (i32.add (global.get $W) (i32.shl (local.get $t) (i32.const 4))))))))
          ;; T2 = S0(a) + Maj(a, b, c); Maj is c where a and b differ, else a
          (local.set $t2
            (i32x4.add
              (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $a) (i32.const 2)) (i32x4.shl (local.get $a) (i32.const 30))) (v128.or (i32x4.shr_u (local.get $a) (i32.const 13)) (i32x4.shl (local.get $a) (i32.const 19))))
                (v128.or (i32x4.shr_u (local.get $a) (i32.const 22)) (i32x4.shl (local.get $a) (i32.const 10))))
              (v128.bitselect (local.get $c) (local.get $a) (v128.xor (local.get $a) (local.get $bb)))))
          (local.set $h (local.get $gg))
          (local.set $gg (local.get $f))
          (local.set $f (local.get $e))
          (local.set $e (i32x4.add (local.get $d) (local.get $t1)))
          (local.set $d (local.get $c))
          (local.set $c (local.get $bb))
          (local.set $bb (local.get $a))
          (local.set $a (i32x4.add (local.get $t1) (local.get $t2)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $round (i32.lt_u (local.get $t) (i32.const 64))))
        ;; lanes whose message has ended keep their state
        (local.set $h0 (v128.bitselect (i32x4.add (local.get $h0) (local.get $a)) (local.get $h0) (local.get $mask)))
        (local.set $h1 (v128.bitselect (i32x4.add (local.get $h1) (local.get $bb)) (local.get $h1) (local.get $mask)))
        (local.set $h2 (v128.bitselect (i32x4.add (local.get $h2) (local.get $c)) (local.get $h2) (local.get $mask)))
        (local.set $h3 (v128.bitselect (i32x4.add (local.get $h3) (local.get $d)) (local.get $h3) (local.get $mask)))
        (local.set $h4 (v128.bitselect (i32x4.add (local.get $h4) (local.get $e)) (local.get $h4) (local.get $mask)))
        (local.set $h5 (v128.bitselect (i32x4.add (local.get $h5) (local.get $f)) (local.get $h5) (local.get $mask)))
        (local.set $h6 (v128.bitselect (i32x4.add (local.get $h6) (local.get $gg)) (local.get $h6) (local.get $mask)))
        (local.set $h7 (v128.bitselect (i32x4.add (local.get $h7) (local.get $h)) (local.get $h7) (local.get $mask)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br_if $block (i32.lt_u (local.get $b) (local.get $maxb))))
      (call $out (local.get $i0) (i32x4.extract_lane 0 (local.get $h0)) (i32x4.extract_lane 0 (local.get $h1)))
      (call $out (local.get $i1) (i32x4.extract_lane 1 (local.get $h0)) (i32x4.extract_lane 1 (local.get $h1)))
      (call $out (local.get $i2) (i32x4.extract_lane 2 (local.get $h0)) (i32x4.extract_lane 2 (local.get $h1)))
      (call $out (local.get $i3) (i32x4.extract_lane 3 (local.get $h0)) (i32x4.extract_lane 3 (local.get $h1)))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (br_if $group (i32.lt_u (local.get $g) (local.get $count)))))
)

;; SIMD kernels behind the aggregation strategies (strategy.ts), compiled to kernels.wasm by scripts/build-kernels.ts
;; (part of `npm run build`) and driven by wasm-kernels.ts. test/oracle/aggregation-equivalence.test.ts holds the same
;; arithmetic written plainly in TypeScript and checks these kernels against it bit for bit.
;;
;; WebAssembly arithmetic is IEEE 754 with round-to-nearest and no fused multiply-add (only the relaxed-SIMD proposal,
;; not used here, may fuse), so every instruction below gives the same bits on every conforming engine and machine:
;; the results depend only on the order of operations, which is fixed.
;;
;; Layout, set up by wasm-kernels.ts: n update rows of float32 at `rows`, `stride` bytes apart, each `width` bytes
;; long: zero-padded to a multiple of BLOCK_BYTES. All pointers are byte offsets into the (shared) memory.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; A precision block: 256 float32 (1,024 bytes). Products and squared differences are summed in four float32 lanes
  ;; within a block and each block's lane sums go into a float64 total, so float32 rounding only ever spans 64
  ;; additions.
  (global $BLOCK_BYTES i32 (i32.const 1024))

  ;; float64 sum of a block's four float32 lanes: (l0 + l2) + (l1 + l3).
  (func $lanes (param $s v128) (result f64)
    (local $pair v128)
    (local.set $pair
      (f64x2.add
        (f64x2.promote_low_f32x4 (local.get $s))
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $s) (local.get $s)))))
    (f64.add (f64x2.extract_lane 0 (local.get $pair)) (f64x2.extract_lane 1 (local.get $pair))))

  ;; d[0] += block sums of (x − y)² over `bytes` bytes (a multiple of BLOCK_BYTES) from x and y.
  (func $pair1x1 (param $x i32) (param $y i32) (param $bytes i32) (param $d i32)
    (local $o i32) (local $end i32) (local $s v128) (local $t v128)
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $o) (local.get $bytes)))
        (local.set $end (i32.add (local.get $o) (global.get $BLOCK_BYTES)))
        (local.set $s (v128.const i64x2 0 0))
        (loop $inner
          (local.set $t (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $o))) (v128.load (i32.add (local.get $y) (local.get $o)))))
          (local.set $s (f32x4.add (local.get $s) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $o) (local.get $end))))
        (f64.store (local.get $d) (f64.add (f64.load (local.get $d)) (call $lanes (local.get $s))))
        (br $blocks))))

  ;; The 8 pairs {x0, x1} × {y, y + stride, y + 2·stride, y + 3·stride}: d0[j] and d1[j] += block sums.
  (func $block2x4 (param $x0 i32) (param $x1 i32) (param $y i32) (param $stride i32) (param $bytes i32) (param $d0 i32) (param $d1 i32)
    (local $y1 i32) (local $y2 i32) (local $y3 i32) (local $o i32) (local $end i32)
    (local $u v128) (local $v v128) (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128) (local $t v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local.set $y1 (i32.add (local.get $y) (local.get $stride)))
    (local.set $y2 (i32.add (local.get $y1) (local.get $stride)))
    (local.set $y3 (i32.add (local.get $y2) (local.get $stride)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $o) (local.get $bytes)))
        (local.set $end (i32.add (local.get $o) (global.get $BLOCK_BYTES)))
        (local.set $s00 (v128.const i64x2 0 0)) (local.set $s01 (v128.const i64x2 0 0))
        (local.set $s02 (v128.const i64x2 0 0)) (local.set $s03 (v128.const i64x2 0 0))
        (local.set $s10 (v128.const i64x2 0 0)) (local.set $s11 (v128.const i64x2 0 0))
        (local.set $s12 (v128.const i64x2 0 0)) (local.set $s13 (v128.const i64x2 0 0))
        (loop $inner
          (local.set $u (v128.load (i32.add (local.get $x0) (local.get $o))))
          (local.set $v (v128.load (i32.add (local.get $x1) (local.get $o))))
          (local.set $p0 (v128.load (i32.add (local.get $y) (local.get $o))))
          (local.set $p1 (v128.load (i32.add (local.get $y1) (local.get $o))))
          (local.set $p2 (v128.load (i32.add (local.get $y2) (local.get $o))))
          (local.set $p3 (v128.load (i32.add (local.get $y3) (local.get $o))))
          (local.set $t (f32x4.sub (local.get $u) (local.get $p0)))
          (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (local.get $u) (local.get $p1)))
          (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (local.get $u) (local.get $p2)))
          (local.set $s02 (f32x4.add (local.get $s02) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (local.get $u) (local.get $p3)))
          (local.set $s03 (f32x4.add (local.get $s03) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (local.get $v) (local.get $p0)))
          (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (local.get $v) (local.get $p1)))
          (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (local.get $v) (local.get $p2)))
          (local.set $s12 (f32x4.add (local.get $s12) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (local.get $v) (local.get $p3)))
          (local.set $s13 (f32x4.add (local.get $s13) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $o) (local.get $end))))
        (f64.store offset=0 (local.get $d0) (f64.add (f64.load offset=0 (local.get $d0)) (call $lanes (local.get $s00))))
        (f64.store offset=8 (local.get $d0) (f64.add (f64.load offset=8 (local.get $d0)) (call $lanes (local.get $s01))))
        (f64.store offset=16 (local.get $d0) (f64.add (f64.load offset=16 (local.get $d0)) (call $lanes (local.get $s02))))
        (f64.store offset=24 (local.get $d0) (f64.add (f64.load offset=24 (local.get $d0)) (call $lanes (local.get $s03))))
        (f64.store offset=0 (local.get $d1) (f64.add (f64.load offset=0 (local.get $d1)) (call $lanes (local.get $s10))))
        (f64.store offset=8 (local.get $d1) (f64.add (f64.load offset=8 (local.get $d1)) (call $lanes (local.get $s11))))
        (f64.store offset=16 (local.get $d1) (f64.add (f64.load offset=16 (local.get $d1)) (call $lanes (local.get $s12))))
        (f64.store offset=24 (local.get $d1) (f64.add (f64.load offset=24 (local.get $d1)) (call $lanes (local.get $s13))))
        (br $blocks))))

  ;; The 4 pairs {x} × {y, …, y + 3·stride}: d[j] += block sums.
  (func $block1x4 (param $x i32) (param $y i32) (param $stride i32) (param $bytes i32) (param $d i32)
    (local $y1 i32) (local $y2 i32) (local $y3 i32) (local $o i32) (local $end i32)
    (local $u v128) (local $t v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $y1 (i32.add (local.get $y) (local.get $stride)))
    (local.set $y2 (i32.add (local.get $y1) (local.get $stride)))
    (local.set $y3 (i32.add (local.get $y2) (local.get $stride)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $o) (local.get $bytes)))
        (local.set $end (i32.add (local.get $o) (global.get $BLOCK_BYTES)))
        (local.set $s0 (v128.const i64x2 0 0)) (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0)) (local.set $s3 (v128.const i64x2 0 0))
        (loop $inner
          (local.set $u (v128.load (i32.add (local.get $x) (local.get $o))))
          (local.set $t (f32x4.sub (local.get $u) (v128.load (i32.add (local.get $y) (local.get $o)))))
          (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (local.get $u) (v128.load (i32.add (local.get $y1) (local.get $o)))))
          (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (local.get $u) (v128.load (i32.add (local.get $y2) (local.get $o)))))
          (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $t (f32x4.sub (local.get $u) (v128.load (i32.add (local.get $y3) (local.get $o)))))
          (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $t) (local.get $t))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $o) (local.get $end))))
        (f64.store offset=0 (local.get $d) (f64.add (f64.load offset=0 (local.get $d)) (call $lanes (local.get $s0))))
        (f64.store offset=8 (local.get $d) (f64.add (f64.load offset=8 (local.get $d)) (call $lanes (local.get $s1))))
        (f64.store offset=16 (local.get $d) (f64.add (f64.load offset=16 (local.get $d)) (call $lanes (local.get $s2))))
        (f64.store offset=24 (local.get $d) (f64.add (f64.load offset=24 (local.get $d)) (call $lanes (local.get $s3))))
        (br $blocks))))

  ;; Dot products Σ x·y, summed as above: float32 products in four float32 lanes within a block, each block's lanes
  ;; added into float64. One pair, the 8 pairs {x0, x1} × {y, y + stride, y + 2·stride, y + 3·stride}, and the 4 pairs
  ;; {x} × {y, …, y + 3·stride}.
  (func $dot1x1 (param $x i32) (param $y i32) (param $bytes i32) (param $d i32)
    (local $o i32) (local $end i32) (local $s v128)
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $o) (local.get $bytes)))
        (local.set $end (i32.add (local.get $o) (global.get $BLOCK_BYTES)))
        (local.set $s (v128.const i64x2 0 0))
        (loop $inner
          (local.set $s (f32x4.add (local.get $s)
            (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $o))) (v128.load (i32.add (local.get $y) (local.get $o))))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $o) (local.get $end))))
        (f64.store (local.get $d) (f64.add (f64.load (local.get $d)) (call $lanes (local.get $s))))
        (br $blocks))))

  (func $dot2x4 (param $x0 i32) (param $x1 i32) (param $y i32) (param $stride i32) (param $bytes i32) (param $d0 i32) (param $d1 i32)
    (local $y1 i32) (local $y2 i32) (local $y3 i32) (local $o i32) (local $end i32)
    (local $u v128) (local $v v128) (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local.set $y1 (i32.add (local.get $y) (local.get $stride)))
    (local.set $y2 (i32.add (local.get $y1) (local.get $stride)))
    (local.set $y3 (i32.add (local.get $y2) (local.get $stride)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $o) (local.get $bytes)))
        (local.set $end (i32.add (local.get $o) (global.get $BLOCK_BYTES)))
        (local.set $s00 (v128.const i64x2 0 0)) (local.set $s01 (v128.const i64x2 0 0))
        (local.set $s02 (v128.const i64x2 0 0)) (local.set $s03 (v128.const i64x2 0 0))
        (local.set $s10 (v128.const i64x2 0 0)) (local.set $s11 (v128.const i64x2 0 0))
        (local.set $s12 (v128.const i64x2 0 0)) (local.set $s13 (v128.const i64x2 0 0))
        (loop $inner
          (local.set $u (v128.load (i32.add (local.get $x0) (local.get $o))))
          (local.set $v (v128.load (i32.add (local.get $x1) (local.get $o))))
          (local.set $p0 (v128.load (i32.add (local.get $y) (local.get $o))))
          (local.set $p1 (v128.load (i32.add (local.get $y1) (local.get $o))))
          (local.set $p2 (v128.load (i32.add (local.get $y2) (local.get $o))))
          (local.set $p3 (v128.load (i32.add (local.get $y3) (local.get $o))))
          (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $u) (local.get $p0))))
          (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $u) (local.get $p1))))
          (local.set $s02 (f32x4.add (local.get $s02) (f32x4.mul (local.get $u) (local.get $p2))))
          (local.set $s03 (f32x4.add (local.get $s03) (f32x4.mul (local.get $u) (local.get $p3))))
          (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $v) (local.get $p0))))
          (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $v) (local.get $p1))))
          (local.set $s12 (f32x4.add (local.get $s12) (f32x4.mul (local.get $v) (local.get $p2))))
          (local.set $s13 (f32x4.add (local.get $s13) (f32x4.mul (local.get $v) (local.get $p3))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $o) (local.get $end))))
        (f64.store offset=0 (local.get $d0) (f64.add (f64.load offset=0 (local.get $d0)) (call $lanes (local.get $s00))))
        (f64.store offset=8 (local.get $d0) (f64.add (f64.load offset=8 (local.get $d0)) (call $lanes (local.get $s01))))
        (f64.store offset=16 (local.get $d0) (f64.add (f64.load offset=16 (local.get $d0)) (call $lanes (local.get $s02))))
        (f64.store offset=24 (local.get $d0) (f64.add (f64.load offset=24 (local.get $d0)) (call $lanes (local.get $s03))))
        (f64.store offset=0 (local.get $d1) (f64.add (f64.load offset=0 (local.get $d1)) (call $lanes (local.get $s10))))
        (f64.store offset=8 (local.get $d1) (f64.add (f64.load offset=8 (local.get $d1)) (call $lanes (local.get $s11))))
        (f64.store offset=16 (local.get $d1) (f64.add (f64.load offset=16 (local.get $d1)) (call $lanes (local.get $s12))))
        (f64.store offset=24 (local.get $d1) (f64.add (f64.load offset=24 (local.get $d1)) (call $lanes (local.get $s13))))
        (br $blocks))))

  (func $dot1x4 (param $x i32) (param $y i32) (param $stride i32) (param $bytes i32) (param $d i32)
    (local $y1 i32) (local $y2 i32) (local $y3 i32) (local $o i32) (local $end i32)
    (local $u v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $y1 (i32.add (local.get $y) (local.get $stride)))
    (local.set $y2 (i32.add (local.get $y1) (local.get $stride)))
    (local.set $y3 (i32.add (local.get $y2) (local.get $stride)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $o) (local.get $bytes)))
        (local.set $end (i32.add (local.get $o) (global.get $BLOCK_BYTES)))
        (local.set $s0 (v128.const i64x2 0 0)) (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0)) (local.set $s3 (v128.const i64x2 0 0))
        (loop $inner
          (local.set $u (v128.load (i32.add (local.get $x) (local.get $o))))
          (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $u) (v128.load (i32.add (local.get $y) (local.get $o))))))
          (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $u) (v128.load (i32.add (local.get $y1) (local.get $o))))))
          (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $u) (v128.load (i32.add (local.get $y2) (local.get $o))))))
          (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $u) (v128.load (i32.add (local.get $y3) (local.get $o))))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $o) (local.get $end))))
        (f64.store offset=0 (local.get $d) (f64.add (f64.load offset=0 (local.get $d)) (call $lanes (local.get $s0))))
        (f64.store offset=8 (local.get $d) (f64.add (f64.load offset=8 (local.get $d)) (call $lanes (local.get $s1))))
        (f64.store offset=16 (local.get $d) (f64.add (f64.load offset=16 (local.get $d)) (call $lanes (local.get $s2))))
        (f64.store offset=24 (local.get $d) (f64.add (f64.load offset=24 (local.get $d)) (call $lanes (local.get $s3))))
        (br $blocks))))

  ;; Leaf dispatch: squared differences ($gram = 0) or dot products ($gram = 1), same shapes and accumulation.
  (func $leaf1x1 (param $gram i32) (param $x i32) (param $y i32) (param $bytes i32) (param $d i32)
    (if (local.get $gram)
      (then (call $dot1x1 (local.get $x) (local.get $y) (local.get $bytes) (local.get $d)))
      (else (call $pair1x1 (local.get $x) (local.get $y) (local.get $bytes) (local.get $d)))))
  (func $leaf2x4 (param $gram i32) (param $x0 i32) (param $x1 i32) (param $y i32) (param $stride i32) (param $bytes i32) (param $d0 i32) (param $d1 i32)
    (if (local.get $gram)
      (then (call $dot2x4 (local.get $x0) (local.get $x1) (local.get $y) (local.get $stride) (local.get $bytes) (local.get $d0) (local.get $d1)))
      (else (call $block2x4 (local.get $x0) (local.get $x1) (local.get $y) (local.get $stride) (local.get $bytes) (local.get $d0) (local.get $d1)))))
  (func $leaf1x4 (param $gram i32) (param $x i32) (param $y i32) (param $stride i32) (param $bytes i32) (param $d i32)
    (if (local.get $gram)
      (then (call $dot1x4 (local.get $x) (local.get $y) (local.get $stride) (local.get $bytes) (local.get $d)))
      (else (call $block1x4 (local.get $x) (local.get $y) (local.get $stride) (local.get $bytes) (local.get $d)))))

  ;; For every listed row a (ascending, i32s at `list`) and every b > a, accumulates into the float64 matrix at `out`
  ;; (the caller zeroes it first): with $gram = 0 the squared distance D[a·n + b], with $gram = 1 the dot product
  ;; G[a·n + b], and G[a·n + a] too. Listed rows are taken in groups of up to `group` consecutive rows; for each
  ;; column tile of `tile` bytes (a multiple of BLOCK_BYTES), every group meets every later row four at a time, so the
  ;; group's tiles stay in cache while the later rows stream past once per group rather than once per pair of rows.
  ;; Tiles and groups only change the order in which pairs are visited, never the order of any pair's own additions.
  (func (export "distances") (param $rows i32) (param $stride i32) (param $width i32) (param $n i32) (param $list i32) (param $count i32) (param $out i32) (param $tile i32) (param $gram i32) (param $group i32)
    (local $start i32) (local $bytes i32) (local $t i32) (local $a i32) (local $g i32) (local $x i32)
    (local $i i32) (local $j i32) (local $b i32) (local $y i32)
    (block $tiles_done
      (loop $tiles
        (br_if $tiles_done (i32.ge_u (local.get $start) (local.get $width)))
        (local.set $bytes (select (local.get $tile) (i32.sub (local.get $width) (local.get $start))
          (i32.le_u (local.get $tile) (i32.sub (local.get $width) (local.get $start)))))
        (local.set $t (i32.const 0))
        (block $groups_done
          (loop $groups
            (br_if $groups_done (i32.ge_u (local.get $t) (local.get $count)))
            ;; The group: rows a, a + 1, …, a + g − 1, listed one after another.
            (local.set $a (i32.load (i32.add (local.get $list) (i32.shl (local.get $t) (i32.const 2)))))
            (local.set $g (i32.const 1))
            (block $grown
              (loop $grow
                (br_if $grown (i32.ge_u (local.get $g) (local.get $group)))
                (br_if $grown (i32.ge_u (i32.add (local.get $t) (local.get $g)) (local.get $count)))
                (br_if $grown (i32.ne
                  (i32.load (i32.add (local.get $list) (i32.shl (i32.add (local.get $t) (local.get $g)) (i32.const 2))))
                  (i32.add (local.get $a) (local.get $g))))
                (local.set $g (i32.add (local.get $g) (i32.const 1)))
                (br $grow)))
            (local.set $x (i32.add (i32.add (local.get $rows) (i32.mul (local.get $a) (local.get $stride))) (local.get $start)))
            ;; Pairs within the group (and, for dot products, each row with itself).
            (local.set $i (i32.const 0))
            (loop $within_i
              (local.set $j (i32.sub (i32.add (local.get $i) (i32.const 1)) (local.get $gram)))
              (block $within_done
              (loop $within_j
                (br_if $within_done (i32.ge_u (local.get $j) (local.get $g)))
                (call $leaf1x1 (local.get $gram)
                  (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $stride)))
                  (i32.add (local.get $x) (i32.mul (local.get $j) (local.get $stride)))
                  (local.get $bytes)
                  (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $a) (local.get $i)) (local.get $n))
                    (i32.add (local.get $a) (local.get $j))) (i32.const 3))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $within_j)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $within_i (i32.lt_u (local.get $i) (local.get $g))))
            ;; The later rows, four at a time, against the group's rows two at a time.
            (local.set $b (i32.add (local.get $a) (local.get $g)))
            (block $quads_done
              (loop $quads
                (br_if $quads_done (i32.gt_u (i32.add (local.get $b) (i32.const 4)) (local.get $n)))
                (local.set $y (i32.add (i32.add (local.get $rows) (i32.mul (local.get $b) (local.get $stride))) (local.get $start)))
                (local.set $i (i32.const 0))
                (block $pairs_done
                  (loop $pairs
                    (br_if $pairs_done (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $g)))
                    (call $leaf2x4 (local.get $gram)
                      (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $stride)))
                      (i32.add (local.get $x) (i32.mul (i32.add (local.get $i) (i32.const 1)) (local.get $stride)))
                      (local.get $y) (local.get $stride) (local.get $bytes)
                      (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $a) (local.get $i)) (local.get $n)) (local.get $b)) (i32.const 3)))
                      (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (i32.add (local.get $a) (local.get $i)) (i32.const 1)) (local.get $n)) (local.get $b)) (i32.const 3))))
                    (local.set $i (i32.add (local.get $i) (i32.const 2)))
                    (br $pairs)))
                (if (i32.lt_u (local.get $i) (local.get $g))
                  (then
                    (call $leaf1x4 (local.get $gram)
                      (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $stride)))
                      (local.get $y) (local.get $stride) (local.get $bytes)
                      (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $a) (local.get $i)) (local.get $n)) (local.get $b)) (i32.const 3))))))
                (local.set $b (i32.add (local.get $b) (i32.const 4)))
                (br $quads)))
            ;; The last later rows (fewer than four), one at a time.
            (block $rest_done
              (loop $rest
                (br_if $rest_done (i32.ge_u (local.get $b) (local.get $n)))
                (local.set $y (i32.add (i32.add (local.get $rows) (i32.mul (local.get $b) (local.get $stride))) (local.get $start)))
                (local.set $i (i32.const 0))
                (loop $each
                  (call $leaf1x1 (local.get $gram)
                    (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $stride)))
                    (local.get $y) (local.get $bytes)
                    (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $a) (local.get $i)) (local.get $n)) (local.get $b)) (i32.const 3))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $each (i32.lt_u (local.get $i) (local.get $g))))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br $rest)))
            (local.set $t (i32.add (local.get $t) (local.get $g)))
            (br $groups)))
        (local.set $start (i32.add (local.get $start) (local.get $tile)))
        (br $tiles))))

  ;; out[i] = float32(Σ_k c_k · x_k[i]) for the float32 values at byte offsets [start, start + bytes) of every row
  ;; (bytes a multiple of 16), the sum in float64 from +0 in k order: acc = (((acc + c0·x0) + c1·x1) + c2·x2) + c3·x3,
  ;; as kernels.ts's weightedSumRange computes it. Coefficients are n float64 at `coefs`; `acc` is scratch for
  ;; 2,048 float64 (one tile of 8 KiB of each row); `out` receives the float32 results for the same offsets.
  (func (export "weighted_sum") (param $rows i32) (param $stride i32) (param $n i32) (param $coefs i32) (param $acc i32) (param $out i32) (param $start i32) (param $bytes i32)
    (local $tile i32) (local $width i32) (local $k i32) (local $o i32) (local $q i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $x v128) (local $lo v128) (local $hi v128)
    (block $tiles_done
      (loop $tiles
        (br_if $tiles_done (i32.ge_u (local.get $tile) (local.get $bytes)))
        (local.set $width (select (i32.const 8192) (i32.sub (local.get $bytes) (local.get $tile))
          (i32.le_u (i32.const 8192) (i32.sub (local.get $bytes) (local.get $tile)))))
        (memory.fill (local.get $acc) (i32.const 0) (i32.shl (local.get $width) (i32.const 1)))
        (local.set $k (i32.const 0))
        ;; Four rows per pass over the tile.
        (block $quads_done
          (loop $quads
            (br_if $quads_done (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $n)))
            (local.set $r0 (i32.add (i32.add (local.get $rows) (i32.mul (local.get $k) (local.get $stride))) (i32.add (local.get $start) (local.get $tile))))
            (local.set $r1 (i32.add (local.get $r0) (local.get $stride)))
            (local.set $r2 (i32.add (local.get $r1) (local.get $stride)))
            (local.set $r3 (i32.add (local.get $r2) (local.get $stride)))
            (local.set $c0 (v128.load64_splat (i32.add (local.get $coefs) (i32.shl (local.get $k) (i32.const 3)))))
            (local.set $c1 (v128.load64_splat offset=8 (i32.add (local.get $coefs) (i32.shl (local.get $k) (i32.const 3)))))
            (local.set $c2 (v128.load64_splat offset=16 (i32.add (local.get $coefs) (i32.shl (local.get $k) (i32.const 3)))))
            (local.set $c3 (v128.load64_splat offset=24 (i32.add (local.get $coefs) (i32.shl (local.get $k) (i32.const 3)))))
            (local.set $o (i32.const 0))
            (loop $inner
              (local.set $q (i32.add (local.get $acc) (i32.shl (local.get $o) (i32.const 1))))
              (local.set $lo (v128.load (local.get $q)))
              (local.set $hi (v128.load offset=16 (local.get $q)))
              (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (local.get $c0)
                (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $r0) (local.get $o)))))))
              (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul (local.get $c0)
                (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (i32.add (local.get $r0) (local.get $o)))))))
              (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (local.get $c1)
                (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $r1) (local.get $o)))))))
              (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul (local.get $c1)
                (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (i32.add (local.get $r1) (local.get $o)))))))
              (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (local.get $c2)
                (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $r2) (local.get $o)))))))
              (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul (local.get $c2)
                (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (i32.add (local.get $r2) (local.get $o)))))))
              (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (local.get $c3)
                (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $r3) (local.get $o)))))))
              (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul (local.get $c3)
                (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (i32.add (local.get $r3) (local.get $o)))))))
              (v128.store (local.get $q) (local.get $lo))
              (v128.store offset=16 (local.get $q) (local.get $hi))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))
              (br_if $inner (i32.lt_u (local.get $o) (local.get $width))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $quads)))
        ;; The rows left over, one per pass.
        (block $rest_done
          (loop $rest
            (br_if $rest_done (i32.ge_u (local.get $k) (local.get $n)))
            (local.set $r0 (i32.add (i32.add (local.get $rows) (i32.mul (local.get $k) (local.get $stride))) (i32.add (local.get $start) (local.get $tile))))
            (local.set $c0 (v128.load64_splat (i32.add (local.get $coefs) (i32.shl (local.get $k) (i32.const 3)))))
            (local.set $o (i32.const 0))
            (loop $inner
              (local.set $q (i32.add (local.get $acc) (i32.shl (local.get $o) (i32.const 1))))
              (local.set $x (v128.load (i32.add (local.get $r0) (local.get $o))))
              (v128.store (local.get $q) (f64x2.add (v128.load (local.get $q)) (f64x2.mul (local.get $c0) (f64x2.promote_low_f32x4 (local.get $x)))))
              (v128.store offset=16 (local.get $q) (f64x2.add (v128.load offset=16 (local.get $q))
                (f64x2.mul (local.get $c0) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))))
              (local.set $o (i32.add (local.get $o) (i32.const 16)))
              (br_if $inner (i32.lt_u (local.get $o) (local.get $width))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $rest)))
        ;; Round each sum to float32 once.
        (local.set $o (i32.const 0))
        (loop $demote
          (local.set $q (i32.add (local.get $acc) (i32.shl (local.get $o) (i32.const 1))))
          (v128.store (i32.add (i32.add (local.get $out) (local.get $tile)) (local.get $o))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (f32x4.demote_f64x2_zero (v128.load (local.get $q)))
              (f32x4.demote_f64x2_zero (v128.load offset=16 (local.get $q)))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $demote (i32.lt_u (local.get $o) (local.get $width))))
        (local.set $tile (i32.add (local.get $tile) (i32.const 8192)))
        (br $tiles))))

  ;; out[i] = the median of the float32 values at byte offset i of the five listed rows (row indices as i32s at
  ;; `picks`), for i in [0, bytes), by a min/max network (f32x4.min/max: −0 below +0, NaN if any value is NaN):
  ;; med5(a, b, c, d, e) = med3(max(min(a, b), min(c, d)), min(max(a, b), max(c, d)), e), with
  ;; med3(x, y, z) = max(min(x, y), min(max(x, y), z)).
  (func (export "centre") (param $rows i32) (param $stride i32) (param $picks i32) (param $out i32) (param $bytes i32)
    (local $o i32) (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $r4 i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $lo v128) (local $hi v128)
    (local.set $r0 (i32.add (local.get $rows) (i32.mul (i32.load offset=0 (local.get $picks)) (local.get $stride))))
    (local.set $r1 (i32.add (local.get $rows) (i32.mul (i32.load offset=4 (local.get $picks)) (local.get $stride))))
    (local.set $r2 (i32.add (local.get $rows) (i32.mul (i32.load offset=8 (local.get $picks)) (local.get $stride))))
    (local.set $r3 (i32.add (local.get $rows) (i32.mul (i32.load offset=12 (local.get $picks)) (local.get $stride))))
    (local.set $r4 (i32.add (local.get $rows) (i32.mul (i32.load offset=16 (local.get $picks)) (local.get $stride))))
    (loop $five
      (local.set $a (v128.load (i32.add (local.get $r0) (local.get $o))))
      (local.set $b (v128.load (i32.add (local.get $r1) (local.get $o))))
      (local.set $c (v128.load (i32.add (local.get $r2) (local.get $o))))
      (local.set $d (v128.load (i32.add (local.get $r3) (local.get $o))))
      (local.set $lo (f32x4.max (f32x4.min (local.get $a) (local.get $b)) (f32x4.min (local.get $c) (local.get $d))))
      (local.set $hi (f32x4.min (f32x4.max (local.get $a) (local.get $b)) (f32x4.max (local.get $c) (local.get $d))))
      (local.set $a (v128.load (i32.add (local.get $r4) (local.get $o))))
      (v128.store (i32.add (local.get $out) (local.get $o))
        (f32x4.max (f32x4.min (local.get $lo) (local.get $hi)) (f32x4.min (f32x4.max (local.get $lo) (local.get $hi)) (local.get $a))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br_if $five (i32.lt_u (local.get $o) (local.get $bytes)))))

  ;; x_k[i] = float32(x_k[i] − c[i]) for the n rows and i in [0, bytes) (a multiple of 16).
  (func (export "subtract") (param $rows i32) (param $stride i32) (param $n i32) (param $c i32) (param $bytes i32)
    (local $k i32) (local $row i32) (local $o i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $row (i32.add (local.get $rows) (i32.mul (local.get $k) (local.get $stride))))
        (local.set $o (i32.const 0))
        (loop $inner
          (v128.store (i32.add (local.get $row) (local.get $o))
            (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $o))) (v128.load (i32.add (local.get $c) (local.get $o)))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $inner (i32.lt_u (local.get $o) (local.get $bytes))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $each))))

  ;; out[j] += block sums of (x_a − x_b)² over `width` bytes for the `count` pairs (a, b) listed as i32 pairs at
  ;; `pairs`: the squared distances of "distances" ($gram = 0) for chosen pairs only, accumulated the same way.
  (func (export "pair_distances") (param $rows i32) (param $stride i32) (param $width i32) (param $pairs i32) (param $count i32) (param $out i32)
    (local $j i32) (local $at i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
        (local.set $at (i32.add (local.get $pairs) (i32.shl (local.get $j) (i32.const 3))))
        (call $pair1x1
          (i32.add (local.get $rows) (i32.mul (i32.load offset=0 (local.get $at)) (local.get $stride)))
          (i32.add (local.get $rows) (i32.mul (i32.load offset=4 (local.get $at)) (local.get $stride)))
          (local.get $width)
          (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $each))))
)

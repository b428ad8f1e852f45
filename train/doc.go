// Package train trains Phi-3-architecture models from scratch on the CPU:
// the forward and backward passes written out per layer (step.go, ops.go,
// attention.go, in the manner of llm.c), AdamW with a warmup-cosine
// schedule and global-norm clipping (adamw.go), shuffled windows over
// token shards (data.go), atomic checkpoints that are also Hugging Face
// model folders, with exact resume (checkpoint.go), and the training loop
// behind "gophi train" (trainer.go).
//
// Every matrix product runs on the float32 GEMM of package tensor (the
// same assembly tiers as inference, with the pure-Go twin), split over the
// worker pool; memory is planned and allocated once when a Model is made.
package train

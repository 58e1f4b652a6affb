"""``--ray``: the generative method's batch path on Ray Data LLM (``ray.data.llm``), for many GPUs and nodes.

Prompts are planned and tokenised on the driver exactly as in-process; Ray Data runs vLLM engine
replicas over the rows; completions come back to the driver, where they are grounded and
written by the pipeline's sinks, so resume and exactly-once hold as in-process.
"""

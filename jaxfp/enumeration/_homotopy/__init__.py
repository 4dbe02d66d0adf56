"""Total-degree homotopy continuation for looped networks with a polynomial activation."""

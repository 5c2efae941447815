"""Demo data: the customer service of the fictional Gemeente Wadderveen."""

"""The one registry of rule codes (:mod:`.codes`) and of field kinds (:mod:`.kinds`), with the
vectorised value standardisers and checks the kinds point to.

The bottom of the graph: it imports no other gongshu package (the catalog only for type checking),
so the catalog, cleansing, the gates and the workbooks all read it. Importing this package imports
none of its modules.
"""

"""The SCIM 2.0 protocol (RFC 7643, RFC 7644) in pure Python.

Nothing in this package imports Django or Django REST framework: it turns JSON
documents into normalized resources, filters into syntax trees and PATCH
operations into changes, and back. The ORM mapping lives outside it.
"""

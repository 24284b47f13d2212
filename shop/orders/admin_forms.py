"""Forms behind the admin's "Add order": staff place an order for a customer.

The order is placed by the same checkout service the API uses, so the admin
can never create an order that skipped the stock check or the snapshots.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect

from shop.catalog.models import Product
from shop.orders.models import Order, OrderItem
from shop.orders.services import MAX_LINE_QUANTITY, MAX_ORDER_LINES
from shop.users.models import User


class OrderPlaceForm(forms.Form):
    customer = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True),
        widget=AutocompleteSelect(Order._meta.get_field("customer"), admin.site),
    )
    shipping_address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class OrderLineForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.all(),
        widget=AutocompleteSelect(OrderItem._meta.get_field("product"), admin.site),
    )
    quantity = forms.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, initial=1)


OrderLineFormSet = forms.formset_factory(
    OrderLineForm,
    extra=3,
    min_num=1,
    validate_min=True,
    max_num=MAX_ORDER_LINES,
    validate_max=True,
)
